"""The plan of a study: the model configurations and adapters a config asks for, their names
and their folders. Pure: it reads the config only, so the pipeline definition, the stages, the
registry and the components all derive the same plan, and nothing formats or parses a
configuration name but this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from procsft.config import Phase, StudyConfig
from procsft.errors import ConfigError

ADAPTERS_FOLDER = PurePosixPath("train")
"""Where a run folder keeps its adapters: `train/<student>/<recipe>/seed<n>/`."""


@dataclass(frozen=True, order=True)
class Adapter:
    """One SFT adapter: a student trained with one recipe and one training seed."""

    student: str
    recipe: str
    seed: int

    @property
    def variant(self) -> str:
        """The adapter's part of its configuration's name: `post/<recipe>/seed<n>`."""
        return f"post/{self.recipe}/seed{self.seed}"

    @property
    def configuration(self) -> str:
        """The name of the post configuration that rolls this adapter out."""
        return f"{self.student}/{self.variant}"

    @property
    def folder(self) -> PurePosixPath:
        """The adapter's folder inside a run folder."""
        return ADAPTERS_FOLDER / self.student / self.recipe / f"seed{self.seed}"

    @property
    def name(self) -> str:
        """The adapter's folder under `train/`, `<student>/<recipe>/seed<n>`: its key in the
        train stage's record and in the MLflow training runs."""
        return self.folder.relative_to(ADAPTERS_FOLDER).as_posix()

    @property
    def within_student(self) -> PurePosixPath:
        """The adapter's folder inside its student's training output: `<recipe>/seed<n>`."""
        return self.folder.relative_to(ADAPTERS_FOLDER / self.student)


@dataclass(frozen=True)
class Configuration:
    """A model in one phase (`pre`, `post` or `reference`): the unit whose episodes share one
    inference path."""

    student: str
    size: str
    phase: Phase
    recipe: str | None = None
    """`post` only: the SFT recipe of the adapter."""
    train_seed: int | None = None
    """`post` only: the training seed of the adapter."""

    @property
    def adapter(self) -> Adapter | None:
        """The adapter a `post` configuration rolls out; None otherwise."""
        if self.phase != "post":
            return None
        assert self.recipe is not None and self.train_seed is not None
        return Adapter(self.student, self.recipe, self.train_seed)

    @property
    def variant(self) -> str:
        """The name after the model: `pre`, `reference` or `post/<recipe>/seed<n>`."""
        adapter = self.adapter
        return adapter.variant if adapter else self.phase

    @property
    def name(self) -> str:
        """`<model>/<variant>`: the configuration's key in rows, shards, reports and MLflow."""
        return f"{self.student}/{self.variant}"


def adapters(config: StudyConfig, student: str | None = None) -> list[Adapter]:
    """Return every adapter the config trains (phase `post`), of one student if given."""
    if "post" not in config.stages:
        return []
    return [
        Adapter(s.name, r.name, seed)
        for s in config.students
        if student is None or s.name == student
        for r in config.recipes
        for seed in config.seeds
    ]


def configurations(config: StudyConfig) -> list[Configuration]:
    """Return every configuration the config rolls out, in rollout (and report) order: per
    student its pre then its post configurations, then the references."""
    out: list[Configuration] = []
    for s in config.students:
        if "pre" in config.stages:
            out.append(Configuration(s.name, s.size, "pre"))
        out += [
            Configuration(s.name, s.size, "post", a.recipe, a.seed)
            for a in adapters(config, s.name)
        ]
    if "reference" in config.stages:
        out += [Configuration(r.name, "reference", "reference") for r in config.references]
    return out


def configuration(config: StudyConfig, name: str) -> Configuration:
    """Return the planned configuration called `name`; refuse one the config does not plan."""
    planned = configurations(config)
    for found in planned:
        if found.name == name:
            return found
    raise ConfigError(
        f"configuration {name!r} is not in the config; it plans {[c.name for c in planned]}"
    )


def adapter_at(config: StudyConfig, folder: str) -> Adapter | None:
    """Return the planned adapter whose folder (relative to the run folder) is `folder`."""
    return next((a for a in adapters(config) if a.folder.as_posix() == folder), None)
