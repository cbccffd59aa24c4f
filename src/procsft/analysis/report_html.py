"""`report.html`: the report's sections as one self-contained page (plots embedded as base64
PNG, no external assets), the lead on top, and every number a link into `episodes.html`."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from procsft.analysis.links import EPISODES_PAGE
from procsft.analysis.report import sections
from procsft.analysis.report_parts import Cell, Section, Table

CODE = re.compile(r"`([^`]+)`")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 76em; color: #222;
       padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.facts { color: #555; margin-top: 0; }
.lead { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
        padding: 0.2em 1.2em 0.8em; }
.lead h2 { border: none; margin-top: 0.8em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td { font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3em; }
a.n { color: #0550ae; text-decoration: none; border-bottom: 1px dotted #0550ae; }
a.n:hover { background: #ddf4ff; }
img { max-width: 100%; }
li { margin-bottom: 0.3em; }
nav { font-size: 0.9em; color: #555; margin: 1em 0; }
nav a { color: #0550ae; margin-right: 0.8em; }
code { background: #eff1f3; padding: 0 0.25em; border-radius: 3px; font-size: 0.9em; }
"""


def to_html(summary: dict[str, Any], folder: Path) -> str:
    """Return `report.html` for `summary`; plots are read from `folder`."""
    e = html.escape
    title = f"procsft analysis {summary.get('run', {}).get('run_id', '')}".rstrip()
    counts = summary.get("counts", {})
    facts = (
        f"{counts.get('episodes', '?')} episodes, {counts.get('verdicts', '?')} verdicts by "
        f"{', '.join(counts.get('scorers', []))}. Every pass rate, Δ and lift opens the "
        f'episodes behind it; <a class="n" href="{EPISODES_PAGE}">all episodes</a>.'
    )
    parts = sections(summary)
    lead = [s for s in parts if s.lead]
    rest = [s for s in parts if not s.lead]
    nav = " ".join(f'<a href="#{_anchor(s)}">{e(s.title)}</a>' for s in rest)
    body = [f"<h1>{e(title)}</h1>", f'<p class="facts">{facts}</p>']
    body += ['<section class="lead">', *(_section(s, folder) for s in lead), "</section>"]
    body += [f"<nav>Detail: {nav}</nav>", *(_section(s, folder) for s in rest)]
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _anchor(section: Section) -> str:
    return section.anchor or "".join(c if c.isalnum() else "-" for c in section.title.lower())


def _inline(item: str | Cell | list[str | Cell]) -> str:
    if isinstance(item, str):  # `name` is code, as in the Markdown report
        return CODE.sub(r"<code>\1</code>", html.escape(item))
    if isinstance(item, Cell):
        text = html.escape(item.text)
        return f'<a class="n" href="{html.escape(item.href)}">{text}</a>' if item.href else text
    return "".join(_inline(part) for part in item)


def _section(section: Section, folder: Path) -> str:
    e = html.escape
    out = [f'<h2 id="{_anchor(section)}">{e(section.title)}</h2>']
    if section.items:
        out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in section.items) + "</ul>")
    out += [f"<p>{_inline(p)}</p>" for p in section.text]
    for figure in section.figures:
        data = base64.b64encode((folder / figure).read_bytes()).decode()
        out.append(
            f'<figure><img alt="{e(Path(figure).stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(Path(figure).stem)}</figcaption></figure>"
        )
    out += [_table(t) for t in section.tables]
    return "\n".join(out)


def _table(table: Table) -> str:
    e = html.escape
    if not table.rows:
        return f"<p>{e(table.caption)} None.</p>"
    head = "".join(f"<th>{e(c)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_inline(v)}</td>" for v in row) + "</tr>" for row in table.rows
    )
    caption = f"<caption>{e(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
