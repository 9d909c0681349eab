"""Cumulative incidence with a competing event: the Aalen–Johansen estimator, by arm.

An event that a competing event (death, usually) can prevent is not described well by a
simple proportion (it ignores how long each patient was followed) nor by one minus a
Kaplan–Meier curve that censors the competing event (that estimates the risk in a world
where nobody dies, and overstates it). The Aalen–Johansen estimator gives the
cumulative incidence: the probability of having had the event by time t, with the
competing event removing patients from risk (Putter et al. 2007).

lifelines' :class:`~lifelines.AalenJohansenFitter` does the statistics; this module
codes each patient's status, chooses the settings, registers every number a template
may quote and returns the curves.

* Status: 1 the event of interest (at its own time), 2 the competing event before it
  (at the end of follow-up), 0 censored at the end of follow-up.
* Confidence intervals are lifelines': a delta-method variance (Marubini and Valsecchi
  1995; SAS PROC LIFETEST's ``ERROR=DELTA``) on the log(−log) scale. lifelines 0.30
  names its two interval columns the wrong way round, so the bounds are taken as the
  smaller and the larger. An estimate of zero has no interval ("not estimable"), nor
  has a time beyond an arm's last observation.
* An event of interest and a competing event at the same time are a tie lifelines
  breaks by jittering the event times (by at most 1e-4 time units) with NumPy's global
  generator: the configured seed is passed and the generator's state restored
  afterwards, so the numbers are reproducible and no other draw changes.
* Patients with the same time and status are fitted once, weighted by their number:
  the same estimates and variances, at the cost of the distinct times (lifelines'
  variance loop is quadratic in its rows).
* Gray's test (Gray 1988) of equal incidence between the arms is not computed: neither
  lifelines nor statsmodels nor scikit-survival implements it, and the packages that
  do are not maintained (or call R).

References: Aalen OO, Johansen S. Scand J Stat 1978;5:141-50. Marubini E, Valsecchi MG.
Analysing Survival Data from Clinical Trials and Observational Studies. Wiley, 1995.
Putter H, Fiocco M, Geskus RB. Stat Med 2007;26:2389-430. Gray RJ. Ann Stat
1988;16:1141-54.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.data.vocabulary import Arms
from manuscript_engine.stats.tables import NumberBook

CENSORED, EVENT, COMPETING = 0, 1, 2
NOT_ESTIMABLE = "not estimable"


@dataclass(frozen=True)
class IncidenceAt:
    """The cumulative incidence at one time: estimate and bounds (fractions, NaN where
    not estimable) and the patients still at risk just before that time."""

    time: float
    estimate: float
    low: float
    high: float
    at_risk: int


@dataclass(frozen=True)
class CumulativeIncidence:
    """Per arm code: the curve (time, incidence, lower, upper), the estimates at the
    chosen times, and how many patients had the event, the competing event, neither."""

    curves: pd.DataFrame
    at: dict[str, list[IncidenceAt]]
    counts: dict[str, dict[str, int]]


def competing_status(
    frame: pd.DataFrame, *, event: str, event_time: str, competing: str, end: str
) -> pd.DataFrame:
    """Each patient's time and status for a competing-risks analysis.

    Parameters
    ----------
    frame : DataFrame
        One row per patient.
    event, competing : str
        Boolean columns: the event of interest, and the competing event (which ends
        follow-up, such as death).
    event_time, end : str
        Columns with the time of the event of interest (missing without it) and the
        end of follow-up (the competing event or the last contact).

    Returns
    -------
    DataFrame
        ``time``: the event's time for a patient who had it, else the end of follow-up;
        ``status``: 1 event of interest, 2 competing event first, 0 censored.
    """
    had_event = frame[event].astype(bool)
    had_competing = frame[competing].astype(bool) & ~had_event
    missing = had_event & frame[event_time].isna()
    if missing.any():
        raise ManuscriptError(
            f"{missing[missing].index[0]} has {event} but no {event_time}, so the time of "
            "the event is unknown. Record it in the data (the codebook says where)."
        )
    time = frame[end].where(~had_event, frame[event_time]).astype(float)
    status = np.select([had_event, had_competing], [EVENT, COMPETING], CENSORED)
    return pd.DataFrame({"time": time, "status": status}, index=frame.index)


def aalen_johansen(time: pd.Series, status: pd.Series, ci_level: float, seed: int) -> pd.DataFrame:
    """The Aalen–Johansen curve of status 1, with status 2 competing (lifelines).

    Returns one row per distinct time: ``time``, ``incidence``, ``lower``, ``upper``
    (fractions; the bounds NaN where lifelines gives none).
    """
    from lifelines import AalenJohansenFitter

    grouped = (
        pd.DataFrame({"time": time.astype(float), "status": status.astype(int)})
        .groupby(["time", "status"], sort=True)
        .size()
        .rename("weight")
        .reset_index()
    )
    fitter = AalenJohansenFitter(alpha=1 - ci_level, seed=seed)
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tied event times", category=Warning)
            fitter.fit(
                grouped["time"],
                grouped["status"],
                event_of_interest=EVENT,
                weights=grouped["weight"],
            )
    finally:
        np.random.set_state(state)
    incidence = fitter.cumulative_density_.iloc[:, 0]
    bounds = fitter.confidence_interval_.reindex(incidence.index).to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (an estimate of 0)
        lower, upper = np.nanmin(bounds, axis=1), np.nanmax(bounds, axis=1)
    return pd.DataFrame(
        {
            "time": incidence.index.to_numpy(float),
            "incidence": incidence.to_numpy(float),
            "lower": lower,
            "upper": upper,
        }
    )


def incidence_at(curve: pd.DataFrame, time: pd.Series, when: float) -> IncidenceAt:
    """The curve's value at ``when`` (the last step at or before it), with the patients
    at risk just before ``when``; not estimable beyond the last observed time."""
    at_risk = int((time >= when).sum())
    if when > float(time.max()):
        return IncidenceAt(when, math.nan, math.nan, math.nan, at_risk)
    row = curve[curve["time"] <= when].iloc[-1] if (curve["time"] <= when).any() else None
    if row is None:
        return IncidenceAt(when, 0.0, math.nan, math.nan, at_risk)
    estimate = float(row["incidence"])
    if estimate == 0:
        return IncidenceAt(when, 0.0, math.nan, math.nan, at_risk)
    return IncidenceAt(when, estimate, float(row["lower"]), float(row["upper"]), at_risk)


def cumulative_incidence(
    frame: pd.DataFrame,
    arms: Arms,
    *,
    at: list[float],
    ci_level: float,
    seed: int,
) -> CumulativeIncidence:
    """The Aalen–Johansen curve of each arm and its value at each time of ``at``.

    ``frame`` has the arm column and the ``time`` and ``status`` of
    :func:`competing_status`.
    """
    curves, values, counts = [], {}, {}
    for arm in arms:
        rows = frame[frame[arms.column] == arm.code]
        if rows.empty:
            raise ManuscriptError(
                f"no patient of the arm {arm.label} is in the data, so its cumulative "
                "incidence cannot be estimated. Check the arm codes in data/codebook.yaml "
                "and the data."
            )
        curve = aalen_johansen(rows["time"], rows["status"], ci_level, seed)
        curves.append(curve.assign(arm=arm.code))
        values[arm.code] = [incidence_at(curve, rows["time"], float(when)) for when in at]
        counts[arm.code] = {
            name: int((rows["status"] == code).sum())
            for name, code in (("events", EVENT), ("competing", COMPETING), ("censored", CENSORED))
        }
    return CumulativeIncidence(pd.concat(curves, ignore_index=True), values, counts)


def time_key(when: float) -> str:
    """A time as it appears in registry keys: 12 -> ``at_12``, 1.5 -> ``at_1_5``."""
    return "at_" + format(float(when), "g").replace(".", "_")


def register_cumulative_incidence(
    book: NumberBook,
    key: str,
    frame: pd.DataFrame,
    *,
    at: list[float],
    settings: dict,
    percent_decimals: int,
    time_unit: str,
) -> CumulativeIncidence:
    """Estimate per arm and register every number under ``key`` (for templates):

    ``key.<at_t>.time`` (the time itself, so the text never types it);
    ``key.<at_t>.<arm>.pct`` with ``.ci_low``/``.ci_high`` (percentages, ``ci()`` prints
    them), ``.at_risk``; ``key.events.<arm>.n``, ``key.competing.<arm>.n``,
    ``key.censored.<arm>.n``; ``key.method`` and ``key.ci_method`` (the Methods' words).
    """
    ci_level = float(settings["ci_level"])
    result = cumulative_incidence(
        frame, book.arms, at=at, ci_level=ci_level, seed=int(settings["seed"])
    )
    n = len(frame)
    for when in at:
        book.add(f"{key}.{time_key(when)}.time", float(when), format(float(when), "g"), time_unit)
    for arm in book.arms:
        total = int((frame[book.arms.column] == arm.code).sum())
        for name, count in result.counts[arm.code].items():
            book.count(f"{key}.{name}.{arm.key}.n", count, total)
        for value in result.at[arm.code]:
            base = f"{key}.{time_key(value.time)}.{arm.key}"
            for suffix, fraction in (
                ("pct", value.estimate),
                ("ci_low", value.low),
                ("ci_high", value.high),
            ):
                if math.isnan(fraction):
                    book.add(f"{base}.{suffix}", None, NOT_ESTIMABLE, "%", total)
                else:
                    book.percent(f"{base}.{suffix}", 100 * fraction, total, percent_decimals)
            book.count(f"{base}.at_risk", value.at_risk, total)
    book.add(f"{key}.method", "aalen_johansen", "the Aalen–Johansen estimator", "", n)
    book.add(
        f"{key}.ci_method",
        "delta_loglog",
        "a delta-method variance on the log(−log) scale",
        "",
        n,
    )
    return result


def incidence_text(value: IncidenceAt, decimals: int) -> str:
    """A table cell: ``12.9 (5.6–23.4)``, or ``0.0`` / "not estimable" without bounds."""
    if math.isnan(value.estimate):
        return NOT_ESTIMABLE
    estimate = format_decimal(100 * value.estimate, decimals)
    if math.isnan(value.low):
        return estimate
    low, high = (format_decimal(100 * v, decimals) for v in (value.low, value.high))
    return f"{estimate} ({low}–{high})"
