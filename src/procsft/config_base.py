"""The base of every config model: strict, frozen, documented fields, and dumps that leave out
fields added after run folders existed, so those folders keep their fingerprints and resume."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_serializer
from pydantic import SerializerFunctionWrapHandler as WrapHandler

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)]
TemplateKwargs = Annotated[dict[str, Any] | None, AfterValidator(lambda kwargs: kwargs or None)]
"""Chat-template variables (`{enable_thinking: false}`); an empty mapping changes nothing, so it
is `None`, like no mapping."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
    added_later: ClassVar[frozenset[str]] = frozenset()
    """Fields added after run folders existed. At their default they are left out of every
    dump (the fingerprint, `config.yaml`, the compiled pipeline, reuse keys), so a config that
    does not set them keeps its bytes and fingerprint, and its old run folders resume."""

    @model_serializer(mode="wrap")
    def _without_unset_additions(self, handler: WrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self.added_later:
                field = type(self).model_fields[name]
                if getattr(self, name) == field.get_default(call_default_factory=True):
                    data.pop(name, None)
        return data
