"""The report and the episode browser as a person looks at them, in a real headless Chromium:
a number in report.html opens episodes.html on exactly the rows it counts (issue 17)."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import numpy as np
import pytest

from procsft.analysis import analyze
from procsft.analysis.links import parse_fragment
from procsft.config import Analysis
from procsft.testing.synthetic import make_study, with_episodes
from tests.analysis.numbers_behind import number_of, rows_behind

HOSTILE = "</script><b>not markup</b><!-- & 'quotes' \"too\""


def _undecided(verdicts, share, seed=3):
    """Return the verdicts with `share` of the extractor's made undecided (rubric tasks)."""
    rng = np.random.default_rng(seed)
    return [
        v.model_copy(update={"passed": None, "reason": "rubric task: no reference"})
        if v.scorer == "extractor" and rng.random() < share
        else v
        for v in verdicts
    ]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two sizes and a reference, two training and two rollout seeds, some undecided verdicts,
    and one response that tries to close the page's script."""
    study = make_study(
        sizes=(("s08", "0.8B", 800_000_000), ("s2", "2B", 2_000_000_000)),
        tasks=10,
        scorers=("extractor", "judge"),
        train_seeds=(0, 1),
        rollout_seeds=(0, 1),
        disagree=0.2,
        p={("post", "curated"): 0.8},
    )
    episodes, verdicts = with_episodes(study, response_chars=200)
    verdicts = _undecided(verdicts, 0.15)
    episodes[0] = episodes[0].model_copy(update={"response": HOSTILE})
    out = tmp_path_factory.mktemp("small")
    summary = analyze(
        verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=out,
        episodes=episodes,
        run_info={"run_id": "small"},
    )
    return summary, out, verdicts, episodes


def _ready(page):
    page.wait_for_selector("body[data-ready='1']")


def _cell_link(page, header: str, row: int = 0) -> str:
    """Return the link in `row` of the lead's answer table under the column `header`."""
    return page.evaluate(
        """([header, row]) => {
            const table = document.querySelector("section.lead table");
            const column = [...table.querySelectorAll("thead th")].findIndex(
                (th) => th.textContent === header);
            return table.querySelectorAll("tbody tr")[row].children[column]
                .querySelector("a").getAttribute("href");
        }""",
        [header, row],
    )


def _shown_episodes(page) -> list[str]:
    """Return every episode the list shows, page after page, as a reader would turn them."""
    shown = []
    while True:
        shown += page.eval_on_selector_all(
            "article.episode", "cards => cards.map((c) => c.dataset.episode)"
        )
        following = page.locator("#next").first
        if following.is_disabled():
            return shown
        page_number = page.inner_text("#page")
        following.click()
        page.wait_for_function(f"document.querySelector('#page').textContent !== '{page_number}'")


def _follow(page, out, header, row=0):
    page.goto((out / "report.html").as_uri())
    href = _cell_link(page, header, row)
    page.click(f"section.lead a[href='{href}']")
    page.wait_for_url(lambda url: "/episodes.html#" in url)
    _ready(page)
    return href


def test_a_lift_cell_opens_exactly_the_episodes_it_counts(page, small):
    summary, out, verdicts, _ = small
    href = _follow(page, out, "SFT lift")
    rows = rows_behind(href.split("#", 1)[1], verdicts)
    said, recomputed = number_of(href.split("#", 1)[1], rows, summary)
    assert said == recomputed and said[0] > 0
    shown = _shown_episodes(page)
    assert len(shown) == len(set(shown)) and set(shown) == {v.episode_id for v in rows}
    f = parse_fragment(href.split("#", 1)[1])
    (row,) = [
        r
        for r in summary["lift"]
        if [r["pre_configuration"], *r["post_configurations"]] == f["configuration"]
        and [r["scorer"]] == f["scorer"]
    ]
    lift = page.locator("tr[data-kind='lift']")
    assert lift.count() == 1
    assert int(lift.get_attribute("data-n-tasks")) == row["n_tasks"]
    assert float(lift.get_attribute("data-value")) == pytest.approx(row["lift"])
    for rate in page.locator("tr[data-kind='rate']").all():
        mine = [
            v
            for v in rows
            if (v.configuration, v.condition)
            == (rate.get_attribute("data-configuration"), rate.get_attribute("data-condition"))
        ]
        assert int(rate.get_attribute("data-n")) == len(mine)
        assert int(rate.get_attribute("data-passed")) == sum(bool(v.passed) for v in mine)


def test_a_pass_rate_opens_its_n_and_its_passes(page, small):
    summary, out, verdicts, _ = small
    page.goto((out / "report.html").as_uri())
    row = next(r for r in summary["pass_rates"] if r["undecided"])
    hrefs = page.eval_on_selector_all("a.n", "links => links.map((a) => a.getAttribute('href'))")
    target = next(
        h
        for h in hrefs
        if parse_fragment(h.split("#", 1)[-1])
        == {
            "configuration": [row["configuration"]],
            "condition": [row["condition"]],
            "scorer": [row["scorer"]],
            "verdict": ["pass", "fail"],
        }
    )
    page.click(f"a.n[href='{target}']")
    _ready(page)
    assert int(page.get_attribute("#count", "data-verdicts")) == row["n"]
    (rate,) = page.locator("tr[data-kind='rate']").all()
    assert (int(rate.get_attribute("data-n")), int(rate.get_attribute("data-passed"))) == (
        row["n"],
        row["passed"],
    )
    shown = set(_shown_episodes(page))
    assert shown == {v.episode_id for v in rows_behind(target.split("#", 1)[1], verdicts)}


def test_filters_are_clicked_and_kept_in_the_address(page, small):
    _, out, verdicts, _ = small
    page.goto((out / "episodes.html").as_uri())
    _ready(page)
    assert int(page.get_attribute("#count", "data-verdicts")) == len(verdicts)
    for key, value in (("condition", "curated"), ("scorer", "judge"), ("verdict", "fail")):
        page.click(f"button.chip[data-key='{key}'][data-value='{value}']")
        page.wait_for_function(f"location.hash.includes('{key}={value}')")
        _ready(page)
    page.select_option("#skill", "k01")
    page.wait_for_function("location.hash.includes('skill=k01')")
    expected = {
        v.episode_id
        for v in verdicts
        if (v.condition, v.scorer, v.passed, v.skill_id) == ("curated", "judge", False, "k01")
    }
    _ready(page)
    shared = page.url
    assert expected and set(_shown_episodes(page)) == expected
    page.goto("about:blank")  # the state lives in the fragment: a shared link shows the same
    page.goto(shared)
    _ready(page)
    assert set(_shown_episodes(page)) == expected


def test_one_task_side_by_side_pre_post_by_condition(page, small):
    summary, out, verdicts, episodes = small
    page.goto((out / "episodes.html").as_uri() + "#configuration=s08/pre&task=t002")
    _ready(page)
    page.click("article.episode header a[title='this task side by side']")
    page.wait_for_function("location.hash.includes('view=task')")
    _ready(page)
    tables = page.locator("table.side")
    assert tables.count() == 3  # 0.8B, 2B and the reference
    first = tables.first
    assert first.locator("thead th").all_inner_texts()[1:] == ["baseline", "curated"]
    rows = first.locator("tbody tr th").all_inner_texts()
    assert rows == ["s08/pre", "s08/post/lora/seed0", "s08/post/lora/seed1"]
    for r, configuration in enumerate(rows):
        for c, condition in enumerate(("baseline", "curated")):
            cell = first.locator("tbody tr").nth(r).locator("td").nth(c)
            shown = cell.locator("div.cell").evaluate_all("cs => cs.map((c) => c.dataset.episode)")
            assert shown == [
                e.episode_id
                for e in episodes
                if (e.configuration, e.task_id, e.condition) == (configuration, "t002", condition)
            ]


def test_text_is_shown_as_text_and_a_reasoning_trace_when_there_is_one(page, small):
    _, out, _, episodes = small
    hostile = episodes[0]
    page.goto((out / "episodes.html").as_uri() + f"#task={hostile.task_id}&view=task")
    _ready(page)
    cell = page.locator(f"div.cell[data-episode='{hostile.episode_id}']")
    assert cell.locator("pre.response").inner_text() == HOSTILE
    assert cell.locator("pre.response b").count() == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2


def _report_links(html: str) -> list[str]:
    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href") or ""
            if tag == "a" and href.startswith("episodes.html#"):
                self.hrefs.append(href.split("#", 1)[1])

    links = Links()
    links.feed(html)
    return links.hrefs


def test_paper_sized_every_link_lands_on_exactly_its_rows(browser, tmp_path, capsys):
    """2 800 episodes × 4 scorers (11 200 verdicts), some undecided: every number's link
    selects, in the page itself, exactly the rows behind that number."""
    study = make_study(
        tasks=200,
        scorers=("extractor", "extractor-lenient", "judge-a", "judge-b"),
        new=("s4",),
        disagree=0.05,
        p={("pre", "curated"): 0.45, ("post", "curated"): 0.6},
    )
    episodes, verdicts = with_episodes(study, response_chars=1500, judge_chars=400)
    verdicts = _undecided(verdicts, 0.05)
    summary = analyze(
        verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path,
        episodes=episodes,
        extractors=("extractor", "extractor-lenient"),
    )
    assert len(verdicts) == 11_200 and summary["counts"]["episodes"] == 2_800
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((tmp_path / "report.html").as_uri())
    start = time.perf_counter()
    page.goto((tmp_path / "episodes.html").as_uri())
    _ready(page)
    seconds = time.perf_counter() - start
    fragments = sorted(set(_report_links((tmp_path / "report.html").read_text())))
    kinds = {"rate": 0, "delta": 0, "lift": 0, "undecided": 0}
    for fragment in fragments:
        rows = rows_behind(fragment, verdicts)
        chosen = page.evaluate("f => window.procsftEpisodes.select(f)", fragment)
        assert sorted(chosen["verdicts"]) == sorted(v.verdict_id for v in rows), fragment
        f = parse_fragment(fragment)
        if f.get("verdict") == ["undecided"]:
            kinds["undecided"] += 1
        elif f.get("paired"):
            kinds["lift" if len(f["configuration"]) > 1 else "delta"] += 1
        else:
            kinds["rate"] += 1
        said, recomputed = number_of(fragment, rows, summary)
        assert said == recomputed, fragment
    assert kinds["rate"] == len(summary["pass_rates"]) and kinds["undecided"] > 0
    assert kinds["delta"] == len(summary["procedural_delta"])
    assert kinds["lift"] >= len(summary["lift"])
    assert errors == []
    size = (tmp_path / "episodes.html").stat().st_size
    with capsys.disabled():
        print(
            f"\nepisodes.html: {size / 1e6:.1f} MB, opened and rendered in {seconds:.2f} s "
            f"({len(fragments)} links checked)"
        )
    page.close()
