"""Where in a YAML file a pydantic validation error points: the file, the line of the deepest
key that exists, and the key path, so a mistake is one line a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


def describe_error(path: Path, node: yaml.Node | None, err: ValidationError) -> str:
    """Return the first validation error as `file:line: key.path: message (+N more)`."""
    errors = err.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    key_path = _key_path(loc)
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key missing"
    else:
        message = first["msg"]
        if first["type"] not in ("value_error", "assertion_error") and "input" in first:
            message += f" (got {first['input']!r})"
    line = _line_of(node, loc)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}{f':{line}' if line else ''}: {key_path or '<top>'}: {message}{more}"


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Return the 1-based YAML line of the deepest key on `loc` that exists in the file."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
