"""Time-to-event outcomes by arm: Kaplan–Meier estimates, the log-rank test, Cox's model.

lifelines does the statistics (a well-kept library: its estimates are checked against
R's survival package in its own test suite); this module chooses the methods, registers
every number a template may quote and writes the curve a figure is drawn from.

* Kaplan–Meier survival per arm; the median with the confidence interval lifelines
  gives (Greenwood variance on the log(-log) scale, Brookmeyer–Crowley inversion);
  a median that the curve never reaches prints as "not reached".
* The log-rank (Mantel–Cox) test between the first two arms.
* The hazard ratio of the first arm against the second from an unadjusted Cox model
  (Efron's method for ties), with its Wald confidence interval.
* Median follow-up by the reverse Kaplan–Meier method (the event indicator reversed).

References: Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81. Brookmeyer R, Crowley J.
Biometrics 1982;38:29-41. Cox DR. J R Stat Soc B 1972;34:187-220. Schemper M, Smith TL.
Control Clin Trials 1996;17:343-6 (reverse Kaplan–Meier).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import format_decimal, format_p_value
from manuscript_engine.data.vocabulary import Arms
from manuscript_engine.stats.tables import NumberBook

NOT_REACHED = "not reached"
NOT_ESTIMABLE = "not estimable"
"""A hazard ratio or bound without a finite estimate (an arm with no event at all)."""


@dataclass(frozen=True)
class SurvivalResult:
    """The numbers of one time-to-event comparison, and the curves to draw."""

    curves: pd.DataFrame
    medians: dict[str, tuple[float, float, float]]
    p: float
    hazard_ratio: tuple[float, float, float]


def _time_text(value: float, decimals: int) -> str:
    return NOT_REACHED if not math.isfinite(value) else format_decimal(value, decimals)


def kaplan_meier(
    frame: pd.DataFrame, time: str, event: str, arms: Arms, ci_level: float
) -> tuple[pd.DataFrame, dict[str, tuple[float, float, float]]]:
    """Survival curves per arm (time, survival, CI, at risk) and each arm's median + CI."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    curves, medians = [], {}
    for arm in arms:
        rows = frame[frame[arms.column] == arm.code]
        fitter = KaplanMeierFitter(alpha=1 - ci_level)
        fitter.fit(rows[time], rows[event].astype(bool), label=arm.key)
        table = fitter.survival_function_.join(fitter.confidence_interval_)
        table.columns = ["survival", "lower", "upper"]
        table["at_risk"] = fitter.event_table["at_risk"].reindex(table.index).fillna(0)
        curves.append(table.reset_index(names="time").assign(arm=arm.code))
        interval = median_survival_times(fitter.confidence_interval_).iloc[0]
        medians[arm.code] = (
            float(fitter.median_survival_time_),
            float(interval.iloc[0]),
            float(interval.iloc[1]),
        )
    return pd.concat(curves, ignore_index=True), medians


def compare_survival(
    frame: pd.DataFrame, time: str, event: str, arms: Arms, ci_level: float
) -> SurvivalResult:
    """Kaplan–Meier per arm, the log-rank P and the Cox hazard ratio (first vs second arm)."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    curves, medians = kaplan_meier(frame, time, event, arms, ci_level)
    first, second = (frame[frame[arms.column] == code] for code in arms.codes[:2])
    test = logrank_test(
        first[time], second[time], first[event].astype(bool), second[event].astype(bool)
    )
    both = pd.concat([first, second])
    data = pd.DataFrame(
        {
            "time": both[time].astype(float),
            "event": both[event].astype(bool).astype(int),
            "first_arm": (both[arms.column] == arms.codes[0]).astype(int),
        }
    )
    cox = CoxPHFitter(alpha=1 - ci_level).fit(data, "time", "event")
    summary = cox.summary.loc["first_arm"]
    level = f"{100 * ci_level:g}%"
    hazard_ratio = (
        float(summary["exp(coef)"]),
        float(summary[f"exp(coef) lower {level}"]),
        float(summary[f"exp(coef) upper {level}"]),
    )
    return SurvivalResult(curves, medians, float(test.p_value), hazard_ratio)


def median_followup(frame: pd.DataFrame, time: str, event: str) -> float:
    """Median follow-up by the reverse Kaplan–Meier method (censoring as the event)."""
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter().fit(frame[time], ~frame[event].astype(bool))
    return float(fitter.median_survival_time_)


def register_survival(
    book: NumberBook,
    key: str,
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    settings: dict,
    decimals: int,
    percent_decimals: int,
) -> SurvivalResult:
    """Compare the arms and register every number under ``key`` (for templates):

    ``key.events.<arm>.n/.pct``, ``key.median.<arm>`` with ``.ci_low/.ci_high``,
    ``key.p``, ``key.test``, ``key.difference`` (first arm's median minus the second's,
    so ``compare()`` reads longer or shorter), ``key.hazard_ratio`` with its interval,
    ``key.followup_median.total`` and the methods' names.
    """
    arms = book.arms
    empty = [arm.label for arm in arms if not (frame[arms.column] == arm.code).any()]
    if empty:
        raise ManuscriptError(
            f"{book.source}: no patient of the arm {empty[0]} is in the data, so its survival "
            "cannot be estimated. Check the arm codes in data/codebook.yaml and the data."
        )
    ci_level = float(settings["ci_level"])
    result = compare_survival(frame, time, event, arms, ci_level)
    for arm in arms:
        rows = frame[frame[arms.column] == arm.code]
        events = int(rows[event].astype(bool).sum())
        book.count(f"{key}.events.{arm.key}.n", events, len(rows))
        book.percent(
            f"{key}.events.{arm.key}.pct", 100 * events / len(rows), len(rows), percent_decimals
        )
        median, low, high = result.medians[arm.code]
        for suffix, value in (("", median), (".ci_low", low), (".ci_high", high)):
            shown = _time_text(value, decimals)
            book.add(f"{key}.median.{arm.key}{suffix}", _finite(value), shown, "", len(rows))
    n = len(frame)
    first, second = (result.medians[code][0] for code in arms.codes[:2])
    book.add(
        f"{key}.difference", _finite(first - second), _time_text(first - second, decimals), "", n
    )
    book.add(f"{key}.p", result.p, format_p_value(result.p), "", n)
    book.add(f"{key}.test", "logrank", "log-rank test", "", n)
    ratio, low, high = result.hazard_ratio
    for suffix, value in (("", ratio), (".ci_low", low), (".ci_high", high)):
        shown = format_decimal(value, 2) if math.isfinite(value) else NOT_ESTIMABLE
        book.add(f"{key}.hazard_ratio{suffix}", _finite(value), shown, "", n)
    followup = median_followup(frame, time, event)
    book.add(
        f"{key}.followup_median.total", _finite(followup), _time_text(followup, decimals), "", n
    )
    book.add(
        f"{key}.median_ci_method",
        "brookmeyer_crowley_loglog",
        "the Brookmeyer–Crowley interval (log-log transformation)",
        "",
        n,
    )
    book.add(f"{key}.followup_method", "reverse_km", "the reverse Kaplan–Meier method", "", n)
    return result


def _finite(value: float) -> float | None:
    """JSON has no infinity: a median never reached is stored as null."""
    return float(value) if math.isfinite(value) else None


def step_curve_points(curve: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The (time, survival) points of a step function starting at (0, 1)."""
    times = np.concatenate([[0.0], curve["time"].to_numpy(float)])
    survival = np.concatenate([[1.0], curve["survival"].to_numpy(float)])
    return times, survival
