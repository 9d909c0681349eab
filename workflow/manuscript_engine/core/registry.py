"""The numbers registry: every value a table, caption or sentence may quote.

Each entry has a stable, readable key (``flow.included.<arm key>.n``), the raw value,
the formatted text, its unit, the n it rests on and where it came from. Templates
quote entries by key and never type digits, so the text cannot drift from the data.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import UnknownNumberKey

_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Number:
    """One quotable value."""

    key: str
    value: float | int | str
    text: str
    unit: str
    n: int | None
    source: str
    detail: Mapping | None = field(default=None, compare=False, hash=False)
    """How the value was computed, where the step records it (a test's statistic, the
    group sizes, exact or asymptotic); None otherwise. Shown in the HTML's provenance."""

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(
                f"registry key {self.key!r} must be lower-case words joined by dots "
                "(letters, digits and _ only)"
            )


class NumbersRegistry(Mapping[str, Number]):
    """An immutable-by-convention mapping from key to :class:`Number`."""

    def __init__(self, numbers: Iterable[Number] = ()) -> None:
        self._numbers: dict[str, Number] = {}
        for number in numbers:
            self.add(number)

    def add(self, number: Number) -> None:
        """Add an entry; a key may be defined once only, so no value silently wins."""
        if number.key in self._numbers:
            raise ValueError(f"registry key {number.key!r} is defined twice")
        self._numbers[number.key] = number

    def __getitem__(self, key: str) -> Number:
        try:
            return self._numbers[key]
        except KeyError:
            raise UnknownNumberKey(self.explain_unknown(key)) from None

    def __contains__(self, key: object) -> bool:
        return key in self._numbers

    def __iter__(self):
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)

    def explain_unknown(self, key: str) -> str:
        """Say that ``key`` is unknown and name the closest keys that exist."""
        close = difflib.get_close_matches(key, list(self._numbers), n=3, cutoff=0.6)
        hint = (
            "Did you mean " + ", ".join(f"'{c}'" for c in close) + "?"
            if close
            else "Run `make numbers` to list the keys that exist."
        )
        return f"there is no number with the key '{key}'. {hint}"

    def to_json(self, path: Path) -> None:
        """Write the registry sorted by key, so the file is byte-stable."""
        payload = {key: asdict(self._numbers[key]) for key in sorted(self._numbers)}
        for entry in payload.values():
            del entry["key"]
            if entry["detail"] is None:
                del entry["detail"]
        write_text_atomically(
            path, json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )

    @classmethod
    def from_json(cls, *paths: Path) -> NumbersRegistry:
        """Read and merge one or more registry files (keys must not collide)."""
        registry = cls()
        for path in paths:
            for key, entry in json.loads(Path(path).read_text(encoding="utf-8")).items():
                registry.add(Number(key=key, **entry))
        return registry
