"""The building blocks of a report: sections of bullet points, text, tables and figures, whose
table cells may link to the episodes behind them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """A table cell (or part of a bullet point) whose text links to the episodes behind it."""

    text: str
    href: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str | Cell]]
    caption: str = ""


@dataclass
class Section:
    title: str
    items: list[str | list[str | Cell]] = field(default_factory=list)
    """Bullet points; an item may mix text and linked cells."""
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    """PNG paths relative to the report's folder."""
    lead: bool = False
    """Part of the report's lead (the answer and what limits it), shown before the detail."""
    anchor: str = ""
    """The section's id in the page, for links to it."""
