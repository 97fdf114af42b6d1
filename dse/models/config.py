"""The base of every family's config: dimensions stated as pydantic fields with bounds.

A family's config says which dimensions exist and which values it can build; the same
class validates a space's `model:` section when the space is loaded (every value a range
can reach), a checkpoint's saved spec before any model is built, and `create()` calls.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

DATA_FIELDS = ("num_classes", "in_channels", "image_size")  # set by the data set, not searched

class FamilyConfig(BaseModel):
    """Base config: subclasses add their dimensions as fields with bounds (ge, le...);
    numbers are `strict` (a string such as "0.5" is refused, not converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # What the data set fixes (not searchable dimensions): classes, input channels, side.
    num_classes: int = Field(default=10, ge=2, le=100_000, strict=True)
    in_channels: int = Field(default=3, ge=1, le=4, strict=True)
    image_size: int = Field(default=32, ge=4, le=1024, strict=True)
    family: ClassVar[str] = ""
    #: Dimensions shown first in summaries (the rest follow when not at their default).
    summary_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def input_size(self) -> int:
        """Side of the square input image in pixels."""
        return self.image_size

    @classmethod
    def dimensions(cls) -> list[str]:
        """Names of the searchable dimensions (every field but the data set's)."""
        return [n for n in cls.model_fields if n not in DATA_FIELDS]

    @classmethod
    def check_value(cls, dim: str, value: Any) -> str | None:
        """Why `value` is impossible for dimension `dim`, or None when it is buildable."""
        field = cls.model_fields[dim]
        adapter = _adapter(cls, dim, field)
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            e = exc.errors()[0]
            where = "".join(f"[{x}]" for x in e["loc"])
            return f"{e['msg']}{' at ' + where if where else ''}"
        return None

    def to_spec(self) -> dict:
        """Plain-data dimensions (JSON- and checkpoint-friendly), without the data set's."""
        d = self.model_dump(mode="json")
        for key in DATA_FIELDS:
            d.pop(key)
        return d

    def canonical(self) -> dict:
        """The architecture in one form: two configs with equal canonical dicts build the
        same network (families with redundant dimensions override this)."""
        return self.to_spec()

    def summary(self) -> str:
        """Short text for tables: the family, key dimensions, then non-default ones."""
        defaults = type(self)()
        parts = [self.family]
        for k in self.summary_keys:
            parts.append(_short(getattr(self, k)))
        for k in self.dimensions():
            v = getattr(self, k)
            if k not in self.summary_keys and v != getattr(defaults, k):
                parts.append(f"{k}={_short(v)}")
        return " ".join(parts)


_ADAPTERS: dict[tuple[type, str], TypeAdapter] = {}


def _adapter(cls: type, dim: str, field) -> TypeAdapter:
    key = (cls, dim)
    if key not in _ADAPTERS:
        kind = (Annotated[field.annotation, *field.metadata] if field.metadata
                else field.annotation)
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def _short(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(str(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
