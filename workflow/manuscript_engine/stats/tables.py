"""Building blocks of the manuscript's tables: summaries per arm, numbers, Markdown.

Every table step returns a :class:`TableResult`: a tidy frame (CSV for machines), the
Markdown the manuscript shows, and the registry numbers behind each cell, so a value
quoted in the text and shown in a table is the same string from the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import (
    format_count,
    format_decimal,
    format_mean_sd,
    format_p_value,
    format_percent,
)
from manuscript_engine.core.registry import Number
from manuscript_engine.data.vocabulary import Arms
from manuscript_engine.stats.comparisons import (
    Comparison,
    compare_categorical,
    compare_continuous,
    proportion_interval,
)
from manuscript_engine.stats.effects import (
    Estimate,
    hodges_lehmann,
    mean_difference,
    risk_difference,
)


@dataclass
class NumberBook:
    """Collects registry numbers for one step, all with the same source.

    ``arms`` are the study's (from its codebook): summaries go per arm in their order,
    registry keys use each arm's key, and differences are first arm minus second.
    """

    source: str
    arms: Arms
    numbers: list[Number] = field(default_factory=list)

    def add(
        self,
        key: str,
        value,
        text: str,
        unit: str = "",
        n: int | None = None,
        detail: dict | None = None,
    ) -> str:
        self.numbers.append(Number(key, value, text, unit, n, self.source, detail))
        return text

    def text(self, key: str) -> str:
        """The printed text of a number this step has already registered."""
        return next(n.text for n in self.numbers if n.key == key)

    def count(self, key: str, n: int, denominator: int | None = None) -> str:
        return self.add(key, int(n), format_count(n), "patients", denominator)

    def percent(self, key: str, value: float, denominator: int, decimals: int) -> str:
        return self.add(key, float(value), format_percent(value, decimals), "%", denominator)

    def comparison(
        self,
        key: str,
        result: Comparison,
        difference: float | None,
        decimals: int,
        n: int,
        unit: str = "",
    ) -> str:
        """Register P, the test used and the difference between the arms (first − second)."""
        self.add(f"{key}.test", result.test, result.label, "", n, result.provenance())
        if difference is not None:
            self.add(
                f"{key}.difference",
                float(difference),
                format_decimal(difference, decimals),
                unit,
                n,
            )
        return self.add(f"{key}.p", float(result.p), format_p_value(result.p), "", n)

    def effect(self, key: str, estimate: Estimate, decimals: int, unit: str, n: int) -> str:
        """Register an effect estimate and its interval: ``key``, ``key.low``, ``key.high``,
        ``key.method`` and ``key.ci`` (the estimate with its interval, as tables print it)."""
        self.add(key, estimate.value, format_decimal(estimate.value, decimals), unit, n)
        self.add(f"{key}.low", estimate.low, format_decimal(estimate.low, decimals), unit, n)
        self.add(f"{key}.high", estimate.high, format_decimal(estimate.high, decimals), unit, n)
        self.add(f"{key}.method", estimate.method, estimate.method, "", n)
        return self.add(f"{key}.ci", estimate.value, estimate.text(decimals), unit, n)


@dataclass(frozen=True)
class TableResult:
    """One table: tidy data, its Markdown and the numbers behind it."""

    name: str
    tidy: pd.DataFrame
    markdown: str
    numbers: list[Number]


def arm_rows(frame: pd.DataFrame, arms: Arms) -> dict[str, pd.DataFrame]:
    """The rows of each arm, by the arm's stored code, in the codebook's order."""
    return {code: frame[frame[arms.column] == code] for code in arms.codes}


def arm_values(frame: pd.DataFrame, column: str, arms: Arms) -> dict[str, pd.Series]:
    """One column per arm (selecting the column first: the dataset has about 50)."""
    return {code: frame.loc[frame[arms.column] == code, column] for code in arms.codes}


def present_values(
    book: NumberBook, key: str, frame: pd.DataFrame, column: str
) -> dict[str, tuple[str, pd.Series]]:
    """Per arm code: the registry base (``key.<arm key>``) and the values present, as floats."""
    return {
        arm: (f"{key}.{book.arms.key_of(arm)}", values.dropna().astype(float))
        for arm, values in arm_values(frame, column, book.arms).items()
    }


def compare_first_two(
    book: NumberBook,
    key: str,
    values: dict[str, pd.Series],
    difference: float,
    *,
    decimals: int,
    settings: dict,
    unit: str,
    what: str,
) -> tuple[str, str]:
    """Compare the first two arms with the configured test and register it: (P text, test).

    Beside the P value: the difference in means with its t interval and, beside a
    Mann–Whitney test, the Hodges–Lehmann shift with Moses' interval (first − second).
    """
    first, second = (values[code] for code in book.arms.codes[:2])
    result = compare_continuous(first, second, settings, what)
    n = sum(len(v) for v in values.values())
    for name, estimate in continuous_effects(first, second, settings).items():
        book.effect(f"{key}.{name}", estimate, decimals, unit, n)
    return book.comparison(key, result, difference, decimals, n, unit), result.label


def continuous_effects(first, second, settings: dict) -> dict[str, Estimate]:
    """The effects a continuous comparison reports, by registry name (empty below 2 + 2)."""
    if len(first) < 2 or len(second) < 2:
        return {}
    level = float(settings["ci_level"])
    effects = {
        "mean_difference": mean_difference(
            first, second, level, settings["continuous_test"] == "student_t"
        )
    }
    if settings["continuous_test"] == "mann_whitney":
        effects["hodges_lehmann"] = hodges_lehmann(first, second, level)
    return effects


def summarise_continuous(
    book: NumberBook,
    key: str,
    frame: pd.DataFrame,
    column: str,
    decimals: int,
    settings: dict,
    unit: str,
    what: str,
) -> dict[str, Any]:
    """Mean, SD, range and n per arm, and the comparison; all registered under ``key``.

    An arm with fewer than two values has no SD and cannot be compared: its cell is a
    dash (:data:`NO_SUMMARY`), the P too, and ``too_few`` says so for the table's note.
    """
    cells = {}
    present = present_values(book, key, frame, column)
    for arm, (base, v) in present.items():
        book.count(f"{base}.n", len(v))
        if len(v) < 2:
            cells[arm] = _too_few_cell(book, base, v, decimals, unit)
            continue
        mean, sd, smallest, largest = (
            float(v.mean()),
            float(v.std(ddof=1)),
            float(v.min()),
            float(v.max()),
        )
        book.add(f"{base}.mean", mean, format_decimal(mean, decimals), unit, len(v))
        book.add(f"{base}.sd", sd, format_decimal(sd, decimals), unit, len(v))
        low, high = _plain(smallest), _plain(largest)
        book.add(f"{base}.min", smallest, low, unit, len(v))
        book.add(f"{base}.max", largest, high, unit, len(v))
        mean_sd = book.add(
            f"{base}.mean_sd", mean, format_mean_sd(mean, sd, decimals), unit, len(v)
        )
        book.add(f"{base}.range", largest - smallest, f"{low}–{high}", unit, len(v))
        cells[arm] = {
            "mean_sd": mean_sd,
            "range": f"{low}–{high}",
            "n": len(v),
            "mean": mean,
            "sd": sd,
        }
    values = {arm: v for arm, (_, v) in present.items()}
    first, second = (values[code] for code in book.arms.codes[:2])
    if min(len(first), len(second)) < 2:
        book.add(f"{key}.p", None, NO_SUMMARY, "", len(first) + len(second))
        return {"cells": cells, "p": NO_SUMMARY, "test": "", "too_few": True}
    p, test = compare_first_two(
        book,
        key,
        values,
        first.mean() - second.mean(),
        decimals=decimals,
        settings=settings,
        unit=unit,
        what=what,
    )
    too_few = any(cell["n"] < 2 for cell in cells.values())
    return {"cells": cells, "p": p, "test": test, "too_few": too_few}


NO_SUMMARY = "—"
"""What a cell prints where fewer than two patients have a value."""

TOO_FEW_NOTE = (
    f"{NO_SUMMARY}: fewer than two patients with a value in the arm, so no SD and no comparison."
)
"""The note under a table that prints :data:`NO_SUMMARY`."""


def _too_few_cell(
    book: NumberBook, base: str, v: pd.Series, decimals: int, unit: str
) -> dict[str, Any]:
    """The cell of an arm with no value or one: the mean when there is one, no SD."""
    mean = float(v.iloc[0]) if len(v) else float("nan")
    if len(v):
        book.add(f"{base}.mean", mean, format_decimal(mean, decimals), unit, len(v))
    for name in ("sd", "mean_sd", "range"):
        book.add(f"{base}.{name}", None, NO_SUMMARY, unit, len(v))
    return {
        "mean_sd": NO_SUMMARY,
        "range": NO_SUMMARY,
        "n": len(v),
        "mean": mean,
        "sd": float("nan"),
    }


def with_n(text: str, n: int, full: int) -> str:
    """A cell's text with its n where it differs from the column's (``2.30 ± 1.03 (n = 68)``).

    Where a value is missing for some patients, the reader sees how many the cell
    describes; a cell of the whole column stays as it is.
    """
    return text if n == full else f"{text} (n = {n})"


def summarise_median(
    book: NumberBook,
    key: str,
    frame: pd.DataFrame,
    column: str,
    decimals: int,
    settings: dict,
    unit: str,
    what: str,
) -> dict[str, Any]:
    """Median, quartiles and n per arm, and the comparison, registered under ``key``.

    For skewed variables. The comparison is the configured continuous test; the
    registered difference is first arm's median minus the second's.
    """
    cells = {}
    present = present_values(book, key, frame, column)
    for arm, (base, v) in present.items():
        median, q1, q3 = (float(v.quantile(q)) for q in (0.5, 0.25, 0.75))
        text = book.add(f"{base}.median", median, format_decimal(median, decimals), unit, len(v))
        low = book.add(f"{base}.q1", q1, format_decimal(q1, decimals), unit, len(v))
        high = book.add(f"{base}.q3", q3, format_decimal(q3, decimals), unit, len(v))
        book.count(f"{base}.n", len(v))
        cells[arm] = {"median_iqr": f"{text} ({low}–{high})", "n": len(v), "median": median}
    values = {arm: v for arm, (_, v) in present.items()}
    first, second = (values[code] for code in book.arms.codes[:2])
    p, test = compare_first_two(
        book,
        key,
        values,
        float(first.median() - second.median()),
        decimals=decimals,
        settings=settings,
        unit=unit,
        what=what,
    )
    return {"cells": cells, "p": p, "test": test}


def codebook_categories(column: dict[str, Any], used: pd.Series) -> list:
    """A column's categories as the codebook lists them, in order, then any other value used.

    An integer column without codes (vertebrae treated) has one category per whole
    number of its range. Values outside the codebook cannot pass validation; they are
    added all the same so that a table's counts can never fall short of n.
    """
    if "values" in column:
        allowed = list(column["values"])
    else:
        allowed = list(range(int(column["min"]), int(column["max"]) + 1))
    listed = {_as_text(c) for c in allowed}
    unlisted = {_as_text(v): v for v in used.dropna().unique() if _as_text(v) not in listed}
    return allowed + [unlisted[text] for text in sorted(unlisted)]


def summarise_categories(
    book: NumberBook,
    key: str,
    frame: pd.DataFrame,
    column: str,
    categories: list,
    settings: dict,
    decimals: int,
    compare: bool = True,
) -> dict[str, Any]:
    """Counts and percentages per category and arm, and one comparison of the whole table."""
    cells: dict[Any, dict[str, str]] = {}
    by_category: dict[Any, dict[str, int]] = {}
    counts = []
    # Count each arm once (value_counts), not once per category.
    present_by_arm = {arm: v.dropna() for arm, v in arm_values(frame, column, book.arms).items()}
    tallies = {
        arm: {_as_text(value): int(n) for value, n in present.value_counts().items()}
        for arm, present in present_by_arm.items()
    }
    listed = [_as_text(category) for category in categories]
    unlisted = sorted(set().union(*tallies.values()) - set(listed))
    if unlisted:
        raise ManuscriptError(
            f"{book.source}: {column} '{unlisted[0]}' occurs in the data but is not among "
            f"the table's categories ({', '.join(listed)}), so its counts would not add up "
            "to n. Add the category to the codebook and to the table's categories, or correct "
            "the data."
        )
    for category in categories:
        row = []
        cells[category] = {}
        by_category[category] = {}
        for arm, present in present_by_arm.items():
            n = int(tallies[arm].get(_as_text(category), 0))
            base = f"{key}.{category_key(category)}.{book.arms.key_of(arm)}"
            book.count(f"{base}.n", n, len(present))
            pct = 100 * n / len(present) if len(present) else 0.0
            text = book.percent(f"{base}.pct", pct, len(present), decimals)
            cells[category][arm] = f"{n} ({text})"
            by_category[category][arm] = n
            row.append(n)
        counts.append(row)
    for arm, present in present_by_arm.items():
        book.count(f"{key}.total.{book.arms.key_of(arm)}.n", len(present))
    out = {"cells": cells, "counts": by_category, "p": "", "test": ""}
    if compare:
        result = compare_categorical(counts, settings)
        out["p"] = book.comparison(key, result, None, decimals, int(sum(map(sum, counts))))
        out["test"] = result.label
    return out


def summarise_binary(
    book: NumberBook, key: str, frame: pd.DataFrame, column: str, settings: dict, decimals: int
) -> dict[str, Any]:
    """Patients with ``column`` true per arm: n, %, confidence interval, and the comparison."""
    cells, counts = {}, [[], []]
    differences = []
    for arm, column_values in arm_values(frame, column, book.arms).items():
        present = column_values.dropna().astype(bool)
        n, total = int(present.sum()), len(present)
        base = f"{key}.{book.arms.key_of(arm)}"
        book.count(f"{base}.n", n, total)
        book.count(f"{base}.denominator", total)
        pct = 100 * n / total
        text = book.percent(f"{base}.pct", pct, total, decimals)
        low, high = proportion_interval(n, total, settings)
        book.percent(f"{base}.ci_low", low, total, decimals)
        book.percent(f"{base}.ci_high", high, total, decimals)
        cells[arm] = {"n_pct": f"{n} ({text})", "n": n, "total": total}
        counts[0].append(n)
        counts[1].append(total - n)
        differences.append(pct)
    result = compare_categorical(counts, settings)
    n = sum(c["total"] for c in cells.values())
    p = book.comparison(
        key, result, differences[0] - differences[1], decimals, n, "percentage points"
    )
    first, second = (cells[code] for code in book.arms.codes[:2])
    book.effect(
        f"{key}.risk_difference",
        risk_difference(
            (first["n"], second["n"]), (first["total"], second["total"]), settings["ci_level"]
        ),
        decimals,
        "percentage points",
        n,
    )
    return {"cells": cells, "p": p, "test": result.label}


def tidy_rows(summary: dict[str, Any], **labels: Any) -> list[dict[str, Any]]:
    """One tidy row per arm for a continuous summary, led by the given labels."""
    return [
        {
            **labels,
            "arm": arm,
            "n": cell["n"],
            "mean": cell["mean"],
            "sd": cell["sd"],
            "p": summary["p"],
            "test": summary["test"],
        }
        for arm, cell in summary["cells"].items()
    ]


def missing_row(
    frame: pd.DataFrame, column: str, arms: Arms, trailing: int, label: str = "  Missing, n"
) -> list[list[str]]:
    """A "Missing, n" row (with ``trailing`` empty cells) under a variable when any arm
    lacks a value, else none: a table's counts then still add up to each arm's n."""
    missing = {code: int(v.isna().sum()) for code, v in arm_values(frame, column, arms).items()}
    if not any(missing.values()):
        return []
    return [[label, *(str(missing[code]) for code in arms.codes), *[""] * trailing]]


def markdown_table(
    header: list[str],
    rows: list[list[str]],
    caption: str,
    label: str,
    footnote: str,
    align: str | None = None,
) -> str:
    """A pandoc pipe table with a caption and label, and a footnote paragraph below it."""
    align = align or "l" + "r" * (len(header) - 1)
    # Pandoc sizes the columns of a table wider than its line length by the dashes under
    # each header; dashes as long as the column's longest cell keep a wide table's cells
    # from wrapping in the PDF (a wrapped cell reads out of order there).
    # Each column also gets room for its cell padding (four characters' worth).
    widths = [4 + max(3, *(len(row[i] or "") for row in rows)) for i in range(len(header))]
    rule = [
        "-" * width + ":" if a == "r" else ":" + "-" * width
        for a, width in zip(align, widths, strict=True)
    ]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(cell or "" for cell in row) + " |" for row in rows]
    lines += ["", f"Table: {caption} {{#{label}}}", "", f"::: {{.table-note}}\n{footnote}\n:::"]
    return "\n".join(lines) + "\n"


class TestMarks:
    """Superscript letters that tie each P value to the test that produced it."""

    def __init__(self) -> None:
        self.letters: dict[str, str] = {}

    def __call__(self, p: str, test: str) -> str:
        """The P cell: the value with its test's letter (``0.144^b^``); without a test
        (no comparison was possible), the cell as given."""
        if not p or not test:
            return p
        letter = self.letters.setdefault(test, "abcdefgh"[len(self.letters)])
        return f"{p}^{letter}^"

    def footnote(self) -> str:
        if not self.letters:
            return ""
        return (
            "P values: "
            + "; ".join(f"^{letter}^ {test}" for test, letter in self.letters.items())
            + "."
        )


def _plain(value: float) -> str:
    """A recorded value as recorded: 5, 0.5, 19.25 (no padding to a fixed precision)."""
    return f"{float(value):g}"


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def category_key(category) -> str:
    """A category as it appears in registry keys (``baseline.sex.m...``)."""
    return _as_text(category).lower().replace("-", "_").replace(" ", "_")
