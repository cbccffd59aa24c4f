import base64
import json
from html.parser import HTMLParser

import pytest
from rich.console import Console

from procsft.analysis import analyze, print_table
from procsft.analysis.findings import delta_sentence, interval, lift_sentence, rate, signed
from procsft.config import Analysis
from procsft.testing.synthetic import make_study


class Page(HTMLParser):
    """Collects an HTML page's text, images and any reference to something outside it."""

    def __init__(self):
        super().__init__()
        self.text, self.images, self.external, self.tables = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tables += tag == "table"
        if tag == "img":
            self.images.append(attrs["src"])
        for key in ("src", "href"):
            # Inline data, anchors in the page and the episode browser beside it are inside.
            if key in attrs and not attrs[key].startswith(("data:", "#", "episodes.html")):
                self.external.append(attrs[key])
        if tag in ("link", "script"):
            self.external.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    study = make_study(
        tasks=20,
        scorers=("extractor", "judge"),
        train_seeds=(0, 1),
        new=("s4",),
        disagree=0.1,
        p={("post", "curated"): 0.8},
    )
    out = tmp_path_factory.mktemp("analysis")
    summary = analyze(
        study.verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=200),
        out=out,
        run_info={"run_id": "test-run", "study": "synthetic"},
    )
    page = Page()
    page.feed((out / "report.html").read_text())
    return summary, out, page


def test_summary_json_is_the_returned_summary_with_every_section(run):
    summary, out, _ = run
    assert json.loads((out / "summary.json").read_text()) == summary
    assert {"pass_rates", "procedural_delta", "lift", "scoring_artifact", "judge_agreement"} <= set(
        summary
    )
    assert {"path_comparisons", "prediction", "headlines", "plots", "paths"} <= set(summary)
    (lift, *_) = summary["lift"]
    assert (lift["n_seeds"], len(lift["seeds"])) == (2, 2) and lift["seed_std"] is not None
    assert set(lift["path_fingerprint"]) == {"pre", "post"}
    assert summary["judge_agreement"]["largest_delta_shift"]["shift"] > 0
    assert [s["size"] for s in summary["sizes"]] == ["0.8B", "2B", "4B"]


def test_html_is_self_contained_and_embeds_every_plot(run):
    summary, out, page = run
    pngs = [p for p in summary["plots"] if p.endswith(".png")]
    assert sorted(p.removesuffix(".png") for p in pngs) == sorted(
        p.removesuffix(".svg") for p in summary["plots"] if p.endswith(".svg")
    )
    assert {p.split("/")[-1] for p in pngs} == {"trajectory-lora.png", "skill-lift-lora.png"}
    for plot in summary["plots"]:
        assert (out / plot).stat().st_size > 1000
    assert page.external == [] and page.tables >= 5
    assert len(page.images) == len(pngs)
    for src in page.images:
        assert base64.b64decode(src.removeprefix("data:image/png;base64,"))[:4] == b"\x89PNG"


def _headline_numbers(summary):
    for r in summary["pass_rates"]:
        yield rate(r["pass_rate"])
        yield interval(r["ci_low"], r["ci_high"], sign=False)
    for d in summary["procedural_delta"]:
        yield signed(d["delta"])
        yield interval(d["ci_low"], d["ci_high"])
    for lift in summary["lift"]:
        yield signed(lift["lift"])
        yield interval(lift["ci_low"], lift["ci_high"])
        for seed in lift["seeds"]:
            yield interval(seed["ci_low"], seed["ci_high"])


def test_every_headline_number_appears_in_both_reports(run):
    summary, out, page = run
    markdown, text = (out / "report.md").read_text(), "".join(page.text)
    numbers = list(_headline_numbers(summary))
    assert len(numbers) > 100
    assert [n for n in numbers if n not in markdown] == []
    assert [n for n in numbers if n not in text] == []
    assert all(sentence in text and sentence in markdown for sentence in summary["headlines"])


def test_an_interval_covering_zero_is_worded_as_not_established(run):
    summary, _, _ = run
    rows = [(lift_sentence(lift), lift) for lift in summary["lift"]]
    rows += [(delta_sentence(d), d) for d in summary["procedural_delta"]]
    covering = [s for s, row in rows if row["ci_low"] <= 0 <= row["ci_high"]]
    clear = [s for s, row in rows if not row["ci_low"] <= 0 <= row["ci_high"]]
    assert covering and clear
    assert all(sentence in summary["headlines"] for sentence, _ in rows)
    assert all("not established" in s for s in covering)
    assert not any("not established" in s for s in clear)


def test_terminal_table_shows_delta_lift_and_prediction(run):
    summary, _, _ = run
    console = Console(record=True, width=200)
    print_table(summary, console)
    shown = console.export_text()
    assert signed(summary["lift"][0]["lift"]) in shown
    assert f"The paper's prediction overall: {summary['prediction']['status']}" in shown
