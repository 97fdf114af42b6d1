"""One registry type for every kind of extension: model families and variants, metrics,
samplers, multi-fidelity schedulers, learning-rate schedules, optimizers and exporters.

    SCHEDULES = Registry("learning-rate schedule")

    @SCHEDULES.decorator("cosine", CosineOptions)
    class Cosine(Schedule): ...

    SCHEDULES.get("cosnie")  # UnknownName: unknown learning-rate schedule 'cosnie';
                             # learning-rate schedules: constant, cosine, ...

An unknown name is always `UnknownName`, both a ConfigError (the CLI prints it, exit 2)
and a ValueError (pydantic reports it under the key path of a space file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dse.errors import ConfigError

T = TypeVar("T")


class UnknownName(ConfigError, ValueError):
    """A name that no entry of a registry has."""


class NoOptions(BaseModel):
    """Options of an entry that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Lazy:
    """A registry entry not imported yet."""

    def __init__(self, load: Callable[[], Any]):
        self.load = load


class Registry(Generic[T]):
    """Named entries of one kind; names are case-insensitive and registered once."""

    instances: ClassVar[list[Registry]] = []  # every registry made, for snapshots

    def __init__(self, kind: str, plural: str | None = None, hint: str = ""):
        self.kind, self.plural, self.hint = kind, plural or kind + "s", hint
        self._items: dict[str, T] = {}
        Registry.instances.append(self)

    @classmethod
    def snapshot(cls) -> Callable[[], None]:
        """The entries of every registry now; calling the result puts them back (what a
        test's plugin registered is forgotten)."""
        saved = [(reg, dict(reg._items)) for reg in cls.instances]

        def restore() -> None:
            for reg, items in saved:
                reg._items = dict(items)
        return restore

    def register(self, name: str, item: T, replace: bool = False) -> T:
        """Add `item` under `name`; a second registration of a name is a ValueError."""
        key = str(name).lower()
        if not key or (key in self._items and not replace):
            raise ValueError(f"{self.kind} name {name!r} is empty or already registered")
        self._items[key] = item
        return item

    def register_lazy(self, name: str, load: Callable[[], T]) -> None:
        """Add an entry whose object `load()` imports on first use (for entries whose
        module is slow to import and rarely used)."""
        self.register(name, _Lazy(load))  # type: ignore[arg-type]

    def decorator(self, name: str, options: type[BaseModel] = NoOptions, **attrs: Any
                  ) -> Callable[[T], T]:
        """The one registration shape for a class: `@REG.decorator("name", Options,
        key=value...)` sets `name`, `Options` and the keywords on the class and registers
        it. (Registries of functions wrap them the same way: `register_metric`,
        `register_sampler`, `register_family`.)"""
        def wrap(item: T) -> T:
            for key, value in {"name": name, "Options": options, **attrs}.items():
                setattr(item, key, value)
            self.register(name, item)
            return item
        return wrap

    def get(self, name: Any) -> T:
        """The entry `name`, or UnknownName saying what was given and what exists."""
        key = str(name).lower()
        try:
            item = self._items[key]
        except KeyError:
            raise UnknownName(f"unknown {self.kind} {str(name)[:60]!r}; {self.plural}: "
                              f"{', '.join(self.names()) or 'none registered'}"
                              f"{'; ' + self.hint if self.hint else ''}.") from None
        if isinstance(item, _Lazy):
            item = self._items[key] = item.load()
        return item

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def values(self) -> list[T]:
        """The entries in registration order (built-ins first, then plugins)."""
        return [self.get(name) for name in self._items]

    def remove(self, name: str) -> None:
        """Forget `name` (a registration that failed its own checks)."""
        self._items.pop(str(name).lower(), None)

    def __contains__(self, name: object) -> bool:
        return str(name).lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


def check_options(options_model: type[BaseModel], given: Any, what: str) -> BaseModel:
    """`given` validated by an entry's options model; ValueError naming the option."""
    try:
        return options_model.model_validate(given or {})
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        allowed = ", ".join(options_model.model_fields) or "none"
        if e["type"] == "extra_forbidden":
            raise ValueError(f"{what}.{loc}: {what.split()[-1]} does not take {loc!r}; its "
                             f"options: {allowed}") from None
        raise ValueError(f"{what}{'.' + loc if loc else ''}: {e['msg']} "
                         f"(got {repr(e.get('input'))[:40]}); its options: {allowed}") from None
