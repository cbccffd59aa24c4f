"""Reference (API) configurations roll out through the HTTP engines, beside a student."""

import io

import pytest
from rich.console import Console

from procsft.config import StudyConfig
from procsft.rollout import GenerationFailed
from procsft.schema import Episode, read_rows
from procsft.study import run_study
from procsft.testing.loopback_llm import LoopbackLLMServer
from tests.conftest import tiny_config


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_reference_rollout_and_resume_pays_once(tmp_path, cache_dir, monkeypatch, backend):
    monkeypatch.setenv("REF_KEY", "sk-ref-MARKER")
    with LoopbackLLMServer() as server:
        base_url = f"{server.url}/v1" if backend == "openai" else server.url
        reference = {
            "name": "ref",
            "backend": backend,
            "model": "m",
            "base_url": base_url,
            "api_key_env": "REF_KEY",
            "max_concurrency": 4,
            "price": {"input_per_mtok": 1.0, "output_per_mtok": 5.0},
        }
        data = tiny_config(tmp_path, cache_dir, stages=["pre", "reference"], references=[reference])
        config = StudyConfig.model_validate(data)
        console = Console(file=io.StringIO())
        # One request fails for good: the stage stops, keeping every other episode.
        server.enqueue("status", 400, match="median")
        with pytest.raises(GenerationFailed, match="1 requests failed"):
            run_study(config, tmp_path / "c.yaml", console)
        sent = len(server.requests)
        run = run_study(config, tmp_path / "c.yaml", console)
        assert len(server.requests) == sent + 1  # the rerun asked only for the failed episode
    episodes = list(read_rows(run.episodes, Episode))
    refs = [e for e in episodes if e.stage == "reference"]
    assert len(refs) == len(episodes) // 2 == 12
    assert {e.path["engine"] for e in refs} == {backend}
    assert all(e.response.startswith("echo: ") for e in refs)
    assert "MARKER" not in run.episodes.read_text() + run.manifest.read_text()
    summary = run.summary.read_text()
    assert "ref/reference" in summary and "tiny/pre" in summary
    assert '"engine"' in summary  # the two paths differ in their engine, and it is said
