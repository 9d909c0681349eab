"""GBSG-2's figure: Kaplan–Meier curves of recurrence-free survival, by arm."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.output.figures import WIDTH, FigureText


def kaplan_meier(curves: pd.DataFrame, codebook: dict):
    """Step curves with their confidence bands, one colour per arm (the codebook's)."""
    import matplotlib.pyplot as plt

    arms = study_arms(codebook)
    fig, ax = plt.subplots(figsize=(WIDTH, 2.6))
    halves = []
    for arm in arms:
        rows = curves[curves["arm"] == arm.code].sort_values("time")
        ax.step(rows["time"], rows["survival"], where="post", color=arm.colour, label=arm.label)
        ax.fill_between(
            rows["time"], rows["lower"], rows["upper"], step="post", color=arm.colour, alpha=0.15
        )
        below = rows[rows["survival"] <= 0.5]
        halves.append(
            f"{arm.label}: half of the patients had a recurrence or died by "
            f"{below['time'].iloc[0]:.1f} months"
            if len(below)
            else f"{arm.label}: the curve stays above one half"
        )
    ax.set_xlabel("Months since study entry")
    ax.set_ylabel("Recurrence-free survival")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    text = FigureText(
        "Recurrence-free survival by hormonal therapy (Kaplan–Meier estimates with "
        "pointwise confidence bands).",
        "Two step curves of the share of patients alive without recurrence over time. "
        + "; ".join(halves)
        + ".",
    )
    return fig, text
