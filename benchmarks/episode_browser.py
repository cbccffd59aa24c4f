"""The episode browser at the paper's size: 2 800 episodes (7 configurations × 200 tasks × 2
conditions) × 4 scorers = 11 200 verdicts, responses of about 1 500 characters and judge replies
of about 400. Measures the time to write episodes.html, its size, and in headless Chromium
(Debian's `chromium`) the time from opening the file to the first page of episodes, and from
following a lift link (a fragment change) to its rows.

Goal: the page opens in at most 3 s and a link's rows show in at most 0.5 s.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from record import record  # noqa: E402

from procsft.analysis import episodes_page  # noqa: E402
from procsft.analysis.links import lift_link  # noqa: E402
from procsft.config import Analysis  # noqa: E402
from procsft.testing.synthetic import make_study, with_episodes  # noqa: E402
from tests.analysis.conftest import CHROMIUM_FLAGS  # noqa: E402

OPEN_GOAL_S, LINK_GOAL_S, REPEATS = 3.0, 0.5, 3


def main() -> None:
    from playwright.sync_api import sync_playwright

    from procsft.analysis import analyze

    study = make_study(
        tasks=200,
        scorers=("extractor", "extractor-lenient", "judge-a", "judge-b"),
        new=("s4",),
        disagree=0.05,
        p={("pre", "curated"): 0.45, ("post", "curated"): 0.6},
    )
    episodes, verdicts = with_episodes(study, response_chars=1500, judge_chars=400)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        summary = analyze(
            verdicts, study.paths, study.students, settings=Analysis(resamples=100), out=out
        )
        start = time.perf_counter()
        page_html = episodes_page.to_html(summary, verdicts, episodes)
        write_s = time.perf_counter() - start
        path = out / "episodes.html"
        path.write_text(page_html, encoding="utf-8")
        link = lift_link(summary["lift"][0]).split("#", 1)[1]
        opened, followed, render_ms = [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS
            )
            for _ in range(REPEATS):
                page = browser.new_page()
                start = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-ready='1']")
                opened.append(time.perf_counter() - start)
                page.evaluate("document.body.dataset.ready = ''")
                start = time.perf_counter()
                page.evaluate("f => { location.hash = f; }", link)
                page.wait_for_selector("body[data-ready='1']")
                followed.append(time.perf_counter() - start)
                render_ms.append(float(page.evaluate("document.body.dataset.renderMs")))
                page.close()
            browser.close()
    best_open, best_link = min(opened), min(followed)
    record(
        "episode_browser",
        [
            {"metric": "episodes × scorers (verdicts)", "value": len(verdicts)},
            {"metric": "episodes.html MB", "value": round(len(page_html.encode()) / 1e6, 2)},
            {"metric": "write episodes.html, seconds", "value": round(write_s, 2)},
            {"metric": "open to first page in Chromium, seconds", "value": round(best_open, 2)},
            {"metric": "lift link to its rows, seconds", "value": round(best_link, 3)},
            {"metric": "its render in the page, ms", "value": statistics.median(render_ms)},
            {
                "metric": f"{OPEN_GOAL_S:.0f} s open budget / open seconds",
                "value": OPEN_GOAL_S / best_open,
                "goal": 1.0,
            },
            {
                "metric": f"{LINK_GOAL_S} s link budget / link seconds",
                "value": LINK_GOAL_S / best_link,
                "goal": 1.0,
            },
        ],
    )


if __name__ == "__main__":
    main()
