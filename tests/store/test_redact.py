"""The redaction layer on its own (the end-to-end check is in test_tracking.py)."""

from __future__ import annotations

import pytest

from procsft.store.redact import (
    SecretInBinaryFile,
    copy_redacted,
    is_secret_name,
    redact,
    register_secret,
    secret_values,
)


def test_secret_names():
    for name in ("OPENAI_API_KEY", "HF_TOKEN", "DB_PASSWORD", "MY_SECRET", "AWS_ACCESS_KEY_ID"):
        assert is_secret_name(name)
    for name in ("PATH", "HOME", "KEYBOARD", "AWS_REGION", "TOKENIZERS_PARALLELISM"):
        assert not is_secret_name(name)


def test_redacts_nested_values_and_keys(monkeypatch):
    monkeypatch.setenv("X_API_KEY", "sk-marker-123456")
    monkeypatch.setenv("SHORT_TOKEN", "1")  # too short to be a secret: left alone
    value = {"url": "http://h/?k=sk-marker-123456", "list": ["sk-marker-123456", 1, None]}
    assert redact(value) == {"url": "http://h/?k=***", "list": ["***", 1, None]}
    assert "1" not in secret_values()
    register_secret("passed-as-an-argument")
    assert redact("x passed-as-an-argument y") == "x *** y"


def test_files_text_redacted_binary_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("Z_SECRET", "hunter2-hunter2")
    text = tmp_path / "a.md"
    text.write_text("key: hunter2-hunter2\n")
    assert copy_redacted(text, tmp_path / "out" / "a.md")
    assert (tmp_path / "out" / "a.md").read_text() == "key: ***\n"
    binary = tmp_path / "w.bin"
    binary.write_bytes(b"\xff\xfe" + b"hunter2-hunter2" + b"\x00")
    with pytest.raises(SecretInBinaryFile) as err:
        copy_redacted(binary, tmp_path / "out" / "w.bin")
    assert "hunter2" not in str(err.value)
