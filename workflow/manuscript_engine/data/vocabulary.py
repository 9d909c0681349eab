"""The study's vocabulary, read from its codebook: arms, their codes and labels, scales.

The engine never names an arm, a grade or a cut-off; it asks the codebook. Each arm has
three names kept apart, as SPSS value labels and REDCap choices keep them:

* ``code``: the value stored in the data (``enrollment.csv``, the arm column);
* ``label``: what tables, figures and text print;
* ``key``: the arm's stable name in the numbers registry, templates and
  ``published.yaml`` (letters, digits and ``_``), so a new export that spells the
  code differently, or a relabelled arm, changes no template.

The arms' order is the codebook's: the order of table columns, figure legends and of
"first arm minus second arm" differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from manuscript_engine.core.errors import ManuscriptError

ARM_COLUMN = "arm"
"""The column of every table that holds a patient's arm (the codebook's ``arms.column``)."""


@dataclass(frozen=True)
class Arm:
    key: str
    code: str
    label: str
    colour: str = ""
    in_text: str = ""
    """How running text names the arm ("hormonal therapy"), where it differs from the
    label a table heads a column with ("Hormonal therapy"); the label otherwise."""

    @property
    def phrase(self) -> str:
        return self.in_text or self.label


class Arms:
    """The study's arms in the codebook's order; look one up by code or by key."""

    def __init__(self, arms: list[Arm], column: str = ARM_COLUMN) -> None:
        self.arms = tuple(arms)
        self.column = column
        self._by_code = {arm.code: arm for arm in self.arms}
        self._by_key = {arm.key: arm for arm in self.arms}

    def __iter__(self) -> Iterator[Arm]:
        return iter(self.arms)

    def __len__(self) -> int:
        return len(self.arms)

    def __getitem__(self, index: int) -> Arm:
        return self.arms[index]

    @property
    def codes(self) -> list[str]:
        return [arm.code for arm in self.arms]

    @property
    def keys(self) -> list[str]:
        return [arm.key for arm in self.arms]

    @property
    def labels(self) -> list[str]:
        return [arm.label for arm in self.arms]

    def by_code(self, code: str) -> Arm:
        return self._by_code[code]

    def by_key(self, key: str) -> Arm:
        return self._by_key[key]

    def key_of(self, code: str) -> str:
        """Registry key of the arm stored as ``code``."""
        return self._by_code[code].key

    def find(self, name: str | None) -> Arm | None:
        """The arm a key or a code names (published.yaml uses keys), or None."""
        if name is None:
            return None
        return self._by_key.get(name) or self._by_code.get(name)


def study_arms(codebook: dict[str, Any]) -> Arms:
    """The arms the codebook declares (its top-level ``arms``)."""
    spec = codebook.get("arms")
    if not isinstance(spec, dict) or not spec.get("groups"):
        raise ManuscriptError(
            "data/codebook.yaml: the study's arms are not declared. Add a top-level "
            "`arms:` with `column:` (the column holding each patient's arm) and `groups:`, "
            "one entry per arm with its key, code and label."
        )
    arms = [
        Arm(
            key=str(group["key"]),
            code=str(group["code"]),
            label=str(group.get("label", group["code"])),
            colour=str(group.get("colour", "")),
            in_text=str(group.get("in_text", "")),
        )
        for group in spec["groups"]
    ]
    return Arms(arms, str(spec.get("column", ARM_COLUMN)))


def expand_arm_codes(codebook: dict[str, Any]) -> dict[str, Any]:
    """Fill in ``values`` of every column that says ``values: arms`` with the arms' codes.

    The arm column's allowed codes are written once, under ``arms``; validation then
    checks the column against them like any other category.
    """
    if "arms" not in codebook:
        return codebook
    codes = study_arms(codebook).codes
    for table in (codebook.get("tables") or {}).values():
        for column in ((table or {}).get("columns") or {}).values():
            if isinstance(column, dict) and column.get("values") == "arms":
                column["values"] = list(codes)
    return codebook


def column_spec(codebook: dict[str, Any], name: str) -> dict[str, Any]:
    """The codebook entry of column ``name`` (the first table that has it)."""
    for table in codebook["tables"].values():
        if name in table["columns"]:
            return table["columns"][name]
    raise KeyError(name)


def category_values(codebook: dict[str, Any], column: str) -> list[str]:
    """The allowed values of a category column, in the codebook's order."""
    return [str(value) for value in column_spec(codebook, column)["values"]]


def lower_is_better(codebook: dict[str, Any], column: str) -> bool:
    """Whether a lower value of a score is the better one (its codebook ``better``)."""
    better = column_spec(codebook, column).get("better")
    if better not in ("lower", "higher"):
        raise ManuscriptError(
            f"data/codebook.yaml: column {column} has no `better: lower` or `better: higher`; "
            "the direction of a comparison cannot be told without it."
        )
    return better == "lower"


def visit_months(codebook: dict[str, Any], column: str = "visit") -> dict[str, int]:
    """Months after the procedure of each named visit (the codebook's ``months``)."""
    return {str(k): int(v) for k, v in column_spec(codebook, column).get("months", {}).items()}


def visit_month(visit: str, months: dict[str, int]) -> int:
    """Months after baseline of one visit: a named one from ``months``, else ``m<months>``."""
    if visit in months:
        return months[visit]
    return int(visit.lstrip("m"))


def plain_number(value: Any) -> str:
    """A bound as the codebook writes it: 2, 2.5, 10 (no padding)."""
    return f"{float(value):g}"


def category_range(codebook: dict[str, Any], definition: str, category: str) -> str:
    """A category's bounds from the codebook's definitions, as ``0–2``.

    Tables, figures and templates print cut-offs through this, so moving one in the
    codebook moves every place that states it.
    """
    bounds = codebook["definitions"][definition]["categories"][category]
    return f"{plain_number(bounds['min'])}–{plain_number(bounds['max'])}"


def category_source(codebook: dict[str, Any], definition: str) -> str:
    """The column a categorisation is made from (``source`` of the definition)."""
    return str(codebook["definitions"][definition]["source"])
