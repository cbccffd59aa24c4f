import json
import subprocess
import sys
from pathlib import Path

from procsft.schema import Episode, Verdict, read_rows
from tests.conftest import PROCSFT, run_folders, tiny_config, write_yaml


def _run(args, env, cwd=None):
    return subprocess.run([*PROCSFT, *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_help_imports_no_heavy_library():
    code = (
        "import sys, contextlib, io\n"
        "from procsft import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "heavy = [m for m in ('torch', 'transformers', 'pydantic', 'numpy', 'rich') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_key_one_line_exit_2_no_run_folder(tmp_path, cache_dir, subprocess_env):
    config = tiny_config(tmp_path, cache_dir)
    config["students"][0]["sorce"] = "typo"
    path = write_yaml(tmp_path / "bad.yaml", config)
    result = _run(["run", "--config", str(path)], subprocess_env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "students[0].sorce: unknown key" in result.stderr and str(path) in result.stderr
    assert not (tmp_path / "runs").exists()


def test_unrunnable_config_refused_before_any_folder(tmp_path, cache_dir, subprocess_env):
    recipes = [{"name": "full", "method": "full"}]
    config = tiny_config(tmp_path, cache_dir, stages=["pre", "post"], recipes=recipes)
    path = write_yaml(tmp_path / "c.yaml", config)
    result = _run(["run", "--config", str(path)], subprocess_env)
    assert result.returncode == 2 and "use method lora" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_end_to_end_run_on_tiny_model_and_resume(tmp_path, cache_dir, subprocess_env):
    scorers = [
        {"name": "extractor", "kind": "extractor"},
        {
            "name": "tiny-judge",
            "kind": "llm",
            "backend": "transformers",
            "model": "tiny:qwen3.5",
            "max_new_tokens": 16,
        },
    ]
    path = write_yaml(tmp_path / "c.yaml", tiny_config(tmp_path, cache_dir, scorers=scorers))
    first = _run(["run", "--config", str(path)], subprocess_env)
    assert first.returncode == 0, first.stderr
    (run,) = run_folders(tmp_path / "runs")
    for name in ("config.yaml", "episodes.jsonl", "verdicts.jsonl", "summary.json", "report.md"):
        assert (run / name).is_file(), name
    episodes = list(read_rows(run / "episodes.jsonl", Episode))
    verdicts = list(read_rows(run / "verdicts.jsonl", Verdict))
    pairs = [(e.task_id, e.condition) for e in episodes]
    assert len(pairs) == len(set(pairs)) == 2 * 3 * 2  # skills × tasks × conditions
    assert sorted((v.task_id, v.condition) for v in verdicts) == sorted(pairs * 2)
    assert {v.scorer for v in verdicts} == {"extractor", "tiny-judge"}
    agreement = json.loads((run / "agreement.json").read_text())
    assert agreement["pairs"][0]["a"] == "extractor" and "kappa" in agreement["pairs"][0]
    assert len({e.path_fingerprint for e in episodes}) == 1
    summary = json.loads((run / "summary.json").read_text())
    assert {r["condition"] for r in summary["pass_rates"]} == {"baseline", "curated"}
    assert summary["procedural_delta"][0]["n_tasks"] == 6
    checks = json.loads((run / "validate" / "verdicts.json").read_text())
    assert summary["judge_checks"]["checked"] == checks["checked"] > 0
    assert "Δ" in first.stdout and "report:" in first.stdout

    files = sorted(run.rglob("*.jsonl"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    second = _run(["run", "--config", str(path)], subprocess_env)
    assert second.returncode == 0, second.stderr
    # Nothing is made again: every row file is untouched, byte for byte and by mtime.
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before


def test_compile_writes_the_committed_pipeline_from_any_folder(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "study.yaml"
    config = repo / "configs" / "qwen35-paper.yaml"
    done = subprocess.run(
        [*PROCSFT, "compile", "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (repo / "pipelines" / "compiled" / "study.yaml").read_bytes()
    missing = subprocess.run(
        [*PROCSFT, "compile", "--config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
