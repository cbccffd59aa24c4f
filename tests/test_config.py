from pathlib import Path

import pytest

from procsft.config import StudyConfig, load_config
from procsft.errors import ConfigError
from tests.conftest import REPO, write_yaml

GOOD = """\
study: demo
students:
  - name: small
    source: embedded:smollm2-135m
    size: 135M
    params: 134515008
"""


def test_local_config_loads():
    config = load_config(REPO / "configs" / "local.yaml")
    assert config.students[0].source == "embedded:smollm2-135m"
    assert config.conditions == ["baseline", "curated"]


def test_unknown_key_names_key_path_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD + "    sorce: typo\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}:7: students[0].sorce: unknown key"


def test_wrong_type_names_key_and_value(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD + "decoding:\n  max_new_tokens: lots\n")
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert message.startswith(f"{path}:8: decoding.max_new_tokens: ")
    assert "'lots'" in message and "\n" not in message


def test_missing_config_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert str(missing) in str(pytest.raises(ConfigError, load_config, missing).value)


def test_missing_model_folder_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("embedded:smollm2-135m", "./models/absent"))
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert "students[0].source" in message and "./models/absent" in message


def test_invalid_yaml_names_line(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {})
    path.write_text("study: [unclosed\n")
    assert str(path) in str(pytest.raises(ConfigError, load_config, path).value)


def test_duplicate_student_names_refused(tmp_path):
    path = tmp_path / "c.yaml"
    student = GOOD.split("students:\n")[1]
    path.write_text(GOOD + student)
    assert "duplicate name 'small'" in str(pytest.raises(ConfigError, load_config, path).value)


def test_fingerprint_ignores_key_order_and_storage_but_not_content():
    base = {
        "study": "demo",
        "students": [{"name": "s", "source": "tiny:qwen3.5", "size": "t", "params": 1}],
    }
    a = StudyConfig.model_validate(base)
    reordered = StudyConfig.model_validate(dict(reversed(list(base.items()))))
    moved = StudyConfig.model_validate(base | {"storage": {"runs_dir": "/elsewhere"}})
    changed = StudyConfig.model_validate(base | {"decoding": {"max_new_tokens": 17}})
    assert a.fingerprint() == reordered.fingerprint() == moved.fingerprint()
    assert a.fingerprint() != changed.fingerprint()
    assert len(a.fingerprint()) == 64


def test_merge_adapter_counts_in_the_fingerprint_only_when_set():
    # The paper config's fingerprint before `compute.merge_adapter` existed: its run folders
    # must still resume.
    paper = load_config(REPO / "configs" / "qwen35-paper.yaml")
    assert paper.fingerprint().startswith("89db9a149884")
    base = {
        "study": "demo",
        "students": [{"name": "s", "source": "tiny:qwen3.5", "size": "t", "params": 1}],
    }
    unset = StudyConfig.model_validate(base)
    off = StudyConfig.model_validate(base | {"compute": {"merge_adapter": False}})
    on = StudyConfig.model_validate(base | {"compute": {"merge_adapter": True}})
    assert unset.fingerprint() == off.fingerprint() != on.fingerprint()


def test_merge_adapter_is_refused_where_it_would_change_the_text(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(GOOD + "compute:\n  dtype: bfloat16\n  merge_adapter: true\n")
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert "compute" in message and "merge_adapter` needs engine `transformers`" in message


def test_reference_stage_needs_references():
    with pytest.raises(ValueError, match="references"):
        StudyConfig.model_validate(
            {
                "study": "d",
                "students": [{"name": "s", "source": "tiny:qwen3.5", "size": "t", "params": 1}],
                "stages": ["pre", "reference"],
            }
        )


def test_configs_folder_has_only_valid_configs():
    for path in Path(REPO / "configs").glob("*.yaml"):
        load_config(path)
