"""What episodes.html carries: every episode and verdict once, repeated text stored once, a
reasoning trace when an episode has one, and nothing fetched from outside (issue 17)."""

import json
import re

from procsft.analysis import analyze
from procsft.analysis.episodes_page import payload
from procsft.config import Analysis
from procsft.schema import Episode, write_rows
from procsft.testing.synthetic import make_study, with_episodes


class ThinkingEpisode(Episode):
    """An episode with a reasoning trace, as a student with a thinking template produces."""

    reasoning: str | None = None


def _data(page: str) -> dict:
    (text,) = re.findall(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    return json.loads(text)


def test_every_episode_and_verdict_once_prompts_stored_once(tmp_path):
    study = make_study(tasks=6, scorers=("extractor", "judge"), reference=None)
    episodes, verdicts = with_episodes(study)
    summary = analyze(
        verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path,
        episodes=episodes,
    )
    data = _data((tmp_path / "episodes.html").read_text())
    assert sorted(row[-1] for row in data["episodes"]) == sorted(e.episode_id for e in episodes)
    assert len(data["verdicts"]) == len(verdicts)
    assert [c["name"] for c in data["configurations"]] == list(summary["configurations"])
    assert data["scorers"] == ["judge", "extractor"]
    # The same task and condition give the same prompt in every configuration.
    assert len(data["prompts"]) == len({(e.task_id, e.condition) for e in episodes})
    judged = {v.verdict_id: v.judge_output for v in verdicts}
    for row in data["verdicts"]:
        episode = data["episodes"][row[0]][-1]
        assert row[6] == judged[f"{episode}|{data['scorers'][row[1]]}"]


def test_analysis_writes_the_browser_from_the_run_folders_episodes(tmp_path):
    study = make_study(sizes=(("m", "1B", 1),), tasks=3, scorers=("extractor",), reference=None)
    episodes, verdicts = with_episodes(study)
    thinking = [
        ThinkingEpisode(**e.model_dump(), reasoning=f"think {i}") for i, e in enumerate(episodes)
    ]
    write_rows(tmp_path / "episodes.jsonl", episodes)
    analyze(verdicts, study.paths, study.students, settings=Analysis(resamples=100), out=tmp_path)
    page = (tmp_path / "episodes.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<link" not in page and page.count("<script") == 2
    data = _data(page)
    assert {row[5] for row in data["episodes"]} == {e.response for e in episodes}
    assert all(row[6] is None for row in data["episodes"])
    shown = payload({}, verdicts, thinking)
    traces = {row[-1]: row[6] for row in shown["episodes"]}
    assert traces == {e.episode_id: e.reasoning for e in thinking}


def test_verdicts_whose_episode_is_missing_still_appear_without_text():
    study = make_study(sizes=(("m", "1B", 1),), tasks=2, scorers=("extractor",), reference=None)
    shown = payload({}, study.verdicts, [])
    assert len(shown["episodes"]) == len({v.episode_id for v in study.verdicts})
    assert all(row[4] is None and row[5] is None for row in shown["episodes"])
