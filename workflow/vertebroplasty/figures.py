"""The manuscript's figures, drawn from the tables the analysis wrote (never recomputed).

One colour per arm everywhere (Okabe–Ito blue and orange, safe for colour-blind
readers), sized for a journal's single column (3.5 in), Agg backend, and saved with
no date or hash salt that changes between runs, so the bytes are stable. Each figure
comes with a caption and alt text, which go into the numbers registry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from manuscript_engine.core.atomic_files import atomic_output
from manuscript_engine.core.registry import Number

ARM_COLOURS = {"PVP+ITR": "#0072B2", "PVP": "#E69F00"}
ARM_ORDER = ["PVP+ITR", "PVP"]
WIDTH = 3.5  # inches, a journal's single column
# pyplot keeps global state; figure jobs run as threads of one process, so draw one at a time.
PYPLOT_LOCK = threading.Lock()
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "pvp-itr-manuscript",
    "svg.fonttype": "path",
    "path.simplify": False,
}
TIME_LABELS = {
    "preop": "Pre",
    "m01": "1 mo",
    "m03": "3 mo",
    "m06": "6 mo",
    "m12": "1 y",
    "gt12": ">1 y",
}


@dataclass(frozen=True)
class FigureText:
    caption: str
    alt: str


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save_figure(figure, svg: Path, png: Path) -> None:
    """Write SVG and PNG without timestamps or software stamps."""
    with atomic_output(svg) as partial:
        figure.savefig(partial, format="svg", metadata={"Date": None, "Creator": None})
    with atomic_output(png) as partial:
        figure.savefig(partial, format="png", dpi=300, metadata={"Software": None})


# --------------------------------------------------------------------------- flow
def figure_patient_flow(flow: pd.DataFrame):
    """Boxes and arrows from enrolment to analysis, per arm, drawn from the flow table."""
    plt = _pyplot()
    n = flow.set_index(["stage", "arm"])["n"]
    fig, ax = plt.subplots(figsize=(WIDTH, 2.6))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    total = int(n.xs("enrolled", level="stage").sum())
    box = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "0.3"}
    ax.text(
        0.5, 0.92, f"Consecutive patients enrolled\nn = {total}", ha="center", va="center", bbox=box
    )
    for x, arm in zip((0.25, 0.75), ARM_ORDER, strict=True):
        colour = ARM_COLOURS[arm]
        arm_box = box | {"edgecolor": colour, "linewidth": 1.2}
        ax.annotate(
            "", xy=(x, 0.70), xytext=(0.5, 0.85), arrowprops={"arrowstyle": "->", "color": "0.3"}
        )
        ax.text(x, 0.64, f"{arm}\nn = {n['enrolled', arm]}", ha="center", va="center", bbox=arm_box)
        excluded = (
            f"Excluded:\nno follow-up MRI, n = {n['excluded_no_followup_mri', arm]}\n"
            f"lost to follow-up, n = {n['excluded_lost_to_followup', arm]}"
        )
        ax.text(x, 0.38, excluded, ha="center", va="center", bbox=box, fontsize=6)
        ax.annotate(
            "", xy=(x, 0.17), xytext=(x, 0.56), arrowprops={"arrowstyle": "->", "color": "0.3"}
        )
        ax.text(
            x, 0.10, f"Analysed\nn = {n['included', arm]}", ha="center", va="center", bbox=arm_box
        )
    included = {arm: int(n["included", arm]) for arm in ARM_ORDER}
    text = FigureText(
        "Flow of patients through the study.",
        f"Flow diagram: {total} patients enrolled; "
        + "; ".join(
            f"{arm}: {n['enrolled', arm]} enrolled, "
            f"{n['excluded_no_followup_mri', arm]} without follow-up MRI and "
            f"{n['excluded_lost_to_followup', arm]} lost to follow-up excluded, "
            f"{included[arm]} analysed"
            for arm in ARM_ORDER
        )
        + ".",
    )
    return fig, text


# --------------------------------------------------------------------------- scores
def figure_scores(scores: pd.DataFrame):
    """Mean ± SD of VAS, ODI and KPS at each time point, one panel per score, n below."""
    plt = _pyplot()
    names = {"vas": "VAS (0–10)", "odi": "ODI (0–100)", "kps": "KPS (0–100)"}
    times = list(TIME_LABELS)
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH, 5.6), sharex=True)
    for ax, (score, label) in zip(axes, names.items(), strict=True):
        for offset, arm in zip((-0.08, 0.08), ARM_ORDER, strict=True):
            rows = scores[(scores["score"] == score) & (scores["arm"] == arm)].set_index("time")
            rows = rows.loc[times]
            x = [i + offset for i in range(len(times))]
            ax.errorbar(
                x,
                rows["mean"],
                yerr=rows["sd"],
                color=ARM_COLOURS[arm],
                marker="o",
                markersize=3,
                linewidth=1,
                capsize=2,
                label=arm,
            )
        ax.set_ylabel(label)
    axes[0].legend(frameon=False, loc="upper right")
    ticks = []
    for time in times:
        n = scores[(scores["score"] == "vas") & (scores["time"] == time)].set_index("arm")["n"]
        ticks.append(f"{TIME_LABELS[time]}\n{n['PVP+ITR']} / {n['PVP']}")
    axes[-1].set_xticks(range(len(times)), ticks)
    axes[-1].set_xlabel("Time point (n assessed: PVP+ITR / PVP)")
    fig.tight_layout()
    end = scores[scores["time"] == "gt12"].set_index(["score", "arm"])
    text = FigureText(
        "VAS, ODI and KPS before treatment and during follow-up (mean ± SD), by treatment. "
        "The numbers under each time point are the patients assessed in each arm.",
        "Three line charts of mean score with SD bars over six time points. After more than "
        f"a year, mean VAS was {end.loc[('vas', 'PVP+ITR'), 'mean']:.2f} with PVP+ITR and "
        f"{end.loc[('vas', 'PVP'), 'mean']:.2f} with PVP; mean ODI "
        f"{end.loc[('odi', 'PVP+ITR'), 'mean']:.2f} and {end.loc[('odi', 'PVP'), 'mean']:.2f}; "
        f"mean KPS {end.loc[('kps', 'PVP+ITR'), 'mean']:.2f} and "
        f"{end.loc[('kps', 'PVP'), 'mean']:.2f}.",
    )
    return fig, text


# --------------------------------------------------------------------------- pain relief
def figure_pain_relief(pain: pd.DataFrame):
    """Stacked bars of pain relief categories at discharge and last visit, per arm."""
    plt = _pyplot()
    categories = ["excellent", "good", "fair", "poor"]
    shades = {"excellent": 1.0, "good": 0.7, "fair": 0.45, "poor": 0.2}
    fig, ax = plt.subplots(figsize=(WIDTH, 2.4))
    bars, labels = [], []
    for moment, title in (("pain_discharge", "Discharge"), ("pain_final", "Last visit")):
        for arm in ARM_ORDER:
            rows = pain[(pain["variable"] == moment) & (pain["arm"] == arm)].set_index("category")
            total = rows["n"].sum()
            bars.append({c: 100 * rows.loc[c, "n"] / total for c in categories})
            labels.append(f"{title}\n{arm}")
    left = [0.0] * len(bars)
    for category in categories:
        widths = [b[category] for b in bars]
        colours = [ARM_COLOURS[label.split("\n")[1]] for label in labels]
        ax.barh(
            range(len(bars)),
            widths,
            left=left,
            color=colours,
            alpha=shades[category],
            edgecolor="white",
            linewidth=0.5,
            label=category,
        )
        left = [lft + w for lft, w in zip(left, widths, strict=True)]
    ax.set_yticks(range(len(bars)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("Patients (%): excellent, good, fair, poor from left to right")
    ax.set_xlim(0, 100)
    fig.tight_layout()
    final = pain[pain["variable"] == "pain_final"]
    relief = {
        arm: final[(final["arm"] == arm) & final["category"].isin(["excellent", "good"])]["n"].sum()
        for arm in ARM_ORDER
    }
    totals = {arm: final[final["arm"] == arm]["n"].sum() for arm in ARM_ORDER}
    text = FigureText(
        "Pain relief categories at discharge and at the last visit, by treatment "
        "(VAS: excellent 0–2, good 2.5–4.5, fair 5–6.5, poor 7–10).",
        "Stacked horizontal bars of the share of patients in each pain category. At the last "
        + "visit, "
        + " and ".join(f"{relief[a]} of {totals[a]} {a} patients" for a in ARM_ORDER)
        + " had excellent or good relief.",
    )
    return fig, text


# --------------------------------------------------------------------------- ASIA shifts
def figure_asia_shift(transitions: pd.DataFrame):
    """ASIA grade before against after, one heat map per arm, counts in the cells."""
    plt = _pyplot()
    grades = ["A", "B", "C", "D", "E"]
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.0))
    for ax, arm in zip(axes, ARM_ORDER, strict=True):
        grid = (
            transitions[transitions["arm"] == arm]
            .pivot(index="before", columns="after", values="n")
            .loc[grades, grades]
        )
        ax.imshow(
            grid.to_numpy(),
            cmap="Blues" if arm == "PVP+ITR" else "Oranges",
            vmin=0,
            vmax=max(1, grid.to_numpy().max()),
        )
        for i in range(5):
            for j in range(5):
                value = int(grid.iloc[i, j])
                if value:
                    ax.text(
                        j,
                        i,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if value > grid.to_numpy().max() / 2 else "black",
                    )
        ax.set_xticks(range(5), grades)
        ax.set_yticks(range(5), grades)
        ax.set_xlabel("At last follow-up")
        ax.set_title(arm, color=ARM_COLOURS[arm])
    axes[0].set_ylabel("Before treatment")
    fig.tight_layout()
    moved = {
        arm: transitions[
            (transitions["arm"] == arm)
            & (transitions["before"] != "E")
            & (transitions["after"] == "E")
        ]["n"].sum()
        for arm in ARM_ORDER
    }
    text = FigureText(
        "ASIA impairment grade before treatment against grade at last follow-up. Cells on the "
        "diagonal are unchanged; right of it, improved; left of it, deteriorated.",
        "Two five-by-five heat maps of patient counts by ASIA grade before and after. "
        + " and ".join(f"{moved[a]} {a} patients" for a in ARM_ORDER)
        + " moved from paraplegia (grades A–D) to grade E.",
    )
    return fig, text


# --------------------------------------------------------------------------- leakage
def figure_leakage(leakage: pd.DataFrame):
    """Grouped bars of leakage sites, per arm, as % of patients treated."""
    plt = _pyplot()
    sites = {
        "disc": "Disc",
        "puncture_path": "Puncture\npath",
        "paravertebral": "Para-\nvertebral",
        "venous": "Veins",
        "spinal_canal": "Spinal\ncanal",
    }
    fig, ax = plt.subplots(figsize=(WIDTH, 2.0))
    for offset, arm in zip((-0.2, 0.2), ARM_ORDER, strict=True):
        rows = leakage[leakage["arm"] == arm].set_index("category")
        total = rows["n"].sum()
        heights = [100 * rows.loc[s, "n"] / total for s in sites]
        ax.bar(
            [i + offset for i in range(len(sites))],
            heights,
            width=0.4,
            color=ARM_COLOURS[arm],
            label=arm,
        )
    ax.set_xticks(range(len(sites)), list(sites.values()))
    ax.set_ylabel("Patients treated (%)")
    ax.legend(frameon=False)
    fig.tight_layout()
    counts = leakage.set_index(["arm", "category"])["n"]
    text = FigureText(
        "Sites of cement leakage, by treatment (percentage of patients treated).",
        "Grouped bar chart of cement leakage sites. "
        + "; ".join(
            f"{arm}: "
            + ", ".join(
                f"{sites[s].replace(chr(10), ' ').replace('- ', '')} {counts[arm, s]}"
                for s in sites
            )
            for arm in ARM_ORDER
        )
        + ".",
    )
    return fig, text


def make_figure(name: str, table: Path, svg: Path, png: Path, numbers: Path) -> None:
    """Draw figure ``name`` from its table CSV; write SVG, PNG and its caption and alt text."""
    from manuscript_engine.core.registry import NumbersRegistry

    data = pd.read_csv(table, keep_default_na=False, na_values=[""])
    from manuscript_engine.core.step_runner import load_step
    from vertebroplasty.layout import FIGURES

    draw = load_step(FIGURES[name]["draw"])
    with PYPLOT_LOCK:
        plt = _pyplot()
        figure, text = draw(data)
        save_figure(figure, Path(svg), Path(png))
        plt.close(figure)
    source = f"figure {name}"
    NumbersRegistry(
        [
            Number(f"figures.{name}.caption", text.caption, text.caption, "text", None, source),
            Number(f"figures.{name}.alt", text.alt, text.alt, "text", None, source),
        ]
    ).to_json(numbers)
