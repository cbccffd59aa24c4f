"""The committed IR YAML is what `procsft compile` makes now, byte for byte."""

from pathlib import Path

from procsft_kfp.pipelines.compile import DEFAULT_CONFIG, DEFAULT_OUT, compile_study

REPO = Path(__file__).resolve().parents[2]


def test_committed_study_yaml_matches_a_fresh_compile(tmp_path):
    fresh = compile_study(REPO / DEFAULT_CONFIG, tmp_path / "study.yaml")
    committed = REPO / DEFAULT_OUT
    assert committed.exists(), "run `python -m procsft_kfp.pipelines.compile` and commit its output"
    assert fresh.read_text() == committed.read_text(), (
        f"{DEFAULT_OUT} is stale: run `python -m procsft_kfp.pipelines.compile` and commit it"
    )
