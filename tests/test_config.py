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


# The fingerprints the shipped configs had before keys were added to the config (reasoning,
# chat_template_kwargs, distill, judge checks, merge_adapter): a config that does not set them
# keeps its run folder, which then resumes.
FINGERPRINTS = {
    "local.yaml": "ce7e6a5e33f972924330738486921d42dc60295f74bc888438782ff4f67c6a11",
    "qwen35-paper.yaml": "89db9a1498840689bd4c306c388f1dcc638360d16cade05965afd7d03f5a98f1",
    "scale-8b-14b.yaml": "b5b0a32cc74eac4aa8d0dca2ba66f656dd4e2de55dd8dda4bee89b3fb4fd4076",
}


def shipped_as_before(name: str) -> StudyConfig:
    """The shipped config `name` with the settings it has since chosen on purpose undone:
    `local.yaml` rolled out at batch 8 with the adapter unmerged, trained without activation
    checkpointing."""
    config = load_config(REPO / "configs" / name)
    if name == "local.yaml":
        compute = config.compute.model_copy(update={"batch_size": 8, "merge_adapter": False})
        recipes = [r.model_copy(update={"activation_checkpointing": None}) for r in config.recipes]
        config = config.model_copy(update={"compute": compute, "recipes": recipes})
    return config


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


def test_judge_check_keys_left_at_their_defaults_keep_every_shipped_fingerprint():
    # `analysis.judge_checks` and `analysis.judge_limits` left at their defaults: the shipped
    # configs keep the fingerprints they had before the keys existed.
    before = FINGERPRINTS
    for name, fingerprint in before.items():
        assert shipped_as_before(name).fingerprint() == fingerprint, name
    base = shipped_as_before("local.yaml").model_dump(mode="json")
    spelled = StudyConfig.model_validate(
        base | {"analysis": base["analysis"] | {"judge_checks": "warn", "judge_limits": {}}}
    )
    assert spelled.fingerprint() == before["local.yaml"]
    for change in ({"judge_checks": "fail"}, {"judge_limits": {"min_kappa": 0.4}}):
        changed = StudyConfig.model_validate(base | {"analysis": base["analysis"] | change})
        assert changed.fingerprint() != before["local.yaml"], change


def test_judge_limits_are_validated_with_the_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(GOOD + "analysis:\n  judge_limits:\n    min_kapa: 0.3\n")
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert message == f"{path}:9: analysis.judge_limits.min_kapa: unknown key"
    path.write_text(GOOD + "analysis:\n  judge_checks: stop\n")
    assert "analysis.judge_checks" in str(pytest.raises(ConfigError, load_config, path).value)
    bounds = "analysis:\n  judge_limits:\n    min_pass_rate: 0.9\n    max_pass_rate: 0.1\n"
    path.write_text(GOOD + bounds)
    assert "above `max_pass_rate`" in str(pytest.raises(ConfigError, load_config, path).value)


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


def test_fields_added_later_leave_fingerprints_and_dumps_alone_until_set():
    for name, fingerprint in FINGERPRINTS.items():
        assert shipped_as_before(name).fingerprint() == fingerprint
    base = {
        "study": "demo",
        "students": [{"name": "s", "source": "tiny:qwen3.5", "size": "t", "params": 1}],
    }
    plain = StudyConfig.model_validate(base)
    dumped = plain.model_dump(mode="json")
    assert "reasoning" not in dumped and "chat_template_kwargs" not in dumped["students"][0]
    assert StudyConfig.model_validate(dumped) == plain  # the dump still loads to the same config

    def with_student(**fields):
        return StudyConfig.model_validate(base | {"students": [base["students"][0] | fields]})

    assert with_student(chat_template_kwargs={}).fingerprint() == plain.fingerprint()
    thinking_off = with_student(chat_template_kwargs={"enable_thinking": False})
    assert thinking_off.fingerprint() != plain.fingerprint()
    assert thinking_off.model_dump()["students"][0]["chat_template_kwargs"] == {
        "enable_thinking": False
    }
    markers = StudyConfig.model_validate(base | {"reasoning": {"open": "<r>", "close": "</r>"}})
    assert markers.fingerprint() != plain.fingerprint()
    same = StudyConfig.model_validate(base | {"reasoning": {"open": "<think>"}})
    assert same.fingerprint() == plain.fingerprint()


def test_chat_template_kwargs_of_a_reference_need_a_server_that_renders_the_template(tmp_path):
    student = "students: [{name: s, source: tiny:qwen3.5, size: t, params: 1}]\n"
    reference = (
        "references:\n  - {name: r, backend: anthropic, model: m,\n"
        "     chat_template_kwargs: {enable_thinking: false}}\n"
    )
    path = tmp_path / "c.yaml"
    path.write_text("study: d\n" + student + reference)
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert message.startswith(f"{path}:4: references[0]: ") and "backend: openai" in message
    path.write_text("study: d\n" + student + reference.replace("anthropic", "openai"))
    assert load_config(path).references[0].chat_template_kwargs == {"enable_thinking": False}
