"""How numbers are printed: the one place that decides decimals and symbols.

Every table, caption and sentence gets its text from here (through the numbers
registry), so the same quantity is printed the same way everywhere.
"""

from __future__ import annotations

import math


def format_count(n: int) -> str:
    """A whole-number count, as printed in text and tables."""
    return str(int(n))


def format_decimal(value: float, decimals: int) -> str:
    """A value rounded half away from zero, as SPSS and most journals print it."""
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}: it is not a finite number")
    scale = 10**decimals
    rounded = math.floor(abs(value) * scale + 0.5 + 1e-9) / scale
    rounded = math.copysign(rounded, value) if rounded else 0.0
    return f"{rounded:.{decimals}f}"


def format_percent(value: float, decimals: int = 1) -> str:
    """A percentage (0-100) without the % sign, one decimal by default."""
    return format_decimal(value, decimals)


def format_p_value(p: float) -> str:
    """A P value: three decimals, and "< 0.001" below that."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a P value must lie in [0, 1]; got {p!r}")
    if p < 0.001:
        return "< 0.001"
    return format_decimal(p, 3)


def monte_carlo_detail(draws: int, seed: int) -> str:
    """Draws, seed and the largest standard error a P estimated from them can have."""
    largest_se = 0.5 / math.sqrt(draws)  # sqrt(p(1 − p)/draws) peaks at p = 0.5
    return (
        f"{draws:,} draws, seed {seed}; standard error of P at most {format_decimal(largest_se, 4)}"
    )


def format_level(level: float) -> str:
    """A confidence level as printed: 0.95 -> '95%' (one place for tables and text)."""
    return f"{format_decimal(100 * float(level), 0)}%"


def in_sentence(label: str) -> str:
    """A label inside a sentence: 'Before treatment' -> 'before treatment', while an
    acronym keeps its capitals ('ASIA impairment grade')."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def format_mean_sd(mean: float, sd: float, decimals: int) -> str:
    """Mean ± SD with the same number of decimals on both."""
    return f"{format_decimal(mean, decimals)} ± {format_decimal(sd, decimals)}"


_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """0-99 in English words: 13 -> 'thirteen', 42 -> 'forty-two' (one table for the text,
    which spells out a count opening a sentence, and the audit, which reads 'eight')."""
    if not 0 <= n < 100:
        raise ValueError(f"number_words() spells 0-99, not {n}")
    if n < 20:
        return _SMALL[n]
    tens, units = divmod(n, 10)
    return _TENS[tens - 2] + (f"-{_SMALL[units]}" if units else "")
