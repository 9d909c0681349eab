"""TEMPORARY: replaced by the rounding helper's module at merge."""

from __future__ import annotations

import itertools

from manuscript_engine.audit.step_search import decimals_of
from manuscript_engine.core.formatting import format_decimal


def printed_interval(text: str) -> tuple[float, float]:
    half = 0.5 * 10 ** (-decimals_of(text))
    return float(text) - half, float(text) + half


def p_matches(printed: str, p: float) -> bool:
    text = printed.replace("P", "").replace("=", "").strip()
    if text.startswith("<"):
        return p < float(text.lstrip("<").strip())
    return format_decimal(p, decimals_of(text)) == text


def p_range_reached(printed: str, low: float, high: float) -> bool:
    text = printed.replace("P", "").replace("=", "").strip()
    if text.startswith("<"):
        return low < float(text.lstrip("<").strip())
    a, b = printed_interval(text)
    return low < b and high >= a


def two_by_two_p(a: int, n1: int, b: int, n2: int) -> dict[str, float]:
    from scipy import stats

    grid = [[a, b], [n1 - a, n2 - b]]
    out = {"Fisher's exact test": float(stats.fisher_exact(grid).pvalue)}
    if min(sum(r) for r in grid) > 0 and min(a + b, n1 + n2 - a - b) > 0:
        out["χ² test"] = float(stats.chi2_contingency(grid, correction=False).pvalue)
        out["χ² test with Yates' correction"] = float(
            stats.chi2_contingency(grid, correction=True).pvalue
        )
    return out


def p_display_convention(printed: str, p: float) -> str | None:
    if p > 0.9995 and printed.strip() in ("0.999", ">0.99", "> 0.99", ">0.999"):
        return f"a P of 1 is printed as {printed.strip()} (a P value cannot be shown as 1)"
    return None


def t_test_p_range(m1, s1, n1, m2, s2, n2, *, equal_var):
    from scipy import stats

    boxes = [printed_interval(t) for t in (m1, s1, m2, s2)]
    ps = []
    for a, b, c, d in itertools.product(*boxes):
        ps.append(
            float(
                stats.ttest_ind_from_stats(
                    a, max(b, 1e-9), n1, c, max(d, 1e-9), n2, equal_var=equal_var
                ).pvalue
            )
        )
    return min(ps), max(ps)


def percent_readings(count: int, n: int, printed: str) -> str | None:
    text = printed.strip().rstrip("%")
    d = decimals_of(text)
    value = 100 * count / n
    import math

    if math.floor(value * 10**d) / 10**d == float(text):
        return f"truncated rather than rounded ({value:.3f}% cut to {text}%)"
    once = format_decimal(value, d + 1)
    if format_decimal(float(once), d) == text:
        return f"rounded twice ({value:.2f}% to {once}% to {text}%)"
    return None


def proportion_intervals(count: int, n: int) -> dict[str, tuple[float, float]]:
    import math

    from statsmodels.stats.proportion import proportion_confint

    def wald(z):
        p = count / n
        half = z * math.sqrt(p * (1 - p) / n)
        return 100 * (p - half), 100 * (p + half)

    out = {"Wald": wald(1.959963984540054)}
    for name, method in (
        ("Wilson", "wilson"),
        ("Clopper–Pearson", "beta"),
        ("Agresti–Coull", "agresti_coull"),
    ):
        lo, hi = proportion_confint(count, n, method=method)
        out[name] = (100 * lo, 100 * hi)
    out["Wald with z = 2"] = wald(2.0)
    return out
