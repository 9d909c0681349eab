"""The manuscript's figures, drawn from the tables the analysis wrote (never recomputed).

One colour per arm everywhere (the codebook's; Okabe–Ito blue and vermillion, safe for
colour-blind readers and at least 3:1 against the white background, WCAG 2.1 AA for
graphics). Text is black, or white or the arm's colour darkened where that reads at
4.5:1 or better (:func:`~manuscript_engine.output.figures.legible_on`). Each function takes its
table and the codebook and returns the figure with its caption and alt text; the engine
(:mod:`manuscript_engine.output.figures`) sets the style, writes stable SVG and PNG
files and puts the texts into the numbers registry.
"""

from __future__ import annotations

import pandas as pd

from manuscript_engine.data.vocabulary import (
    category_range,
    category_source,
    column_spec,
    plain_number,
    study_arms,
)
from manuscript_engine.output.figures import WIDTH, FigureText, legible_on, text_colour_on

HEAT_MAPS = ["Blues", "Oranges", "Greens", "Purples"]
"""Colour scale of each arm's heat map, in the arms' order (matching their colours)."""
SHADES = [1.0, 0.7, 0.45, 0.2, 0.1]
"""Opacity of each pain category's bar, best category first."""
EXCLUDED_AS = {"no_followup_mri": "without follow-up MRI", "lost_to_followup": "lost to follow-up"}
"""How the alt text words each exclusion reason (others: 'excluded for <label>')."""
SITE_LABELS = {
    "disc": "Disc",
    "puncture_path": "Puncture\npath",
    "paravertebral": "Para-\nvertebral",
    "spinal_canal": "Spinal\ncanal",
}
"""Shorter axis labels for leakage sites (others: the codebook's label)."""
COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def _pyplot():
    """pyplot, already in the house style (the engine's make_figure set it)."""
    import matplotlib.pyplot as plt

    return plt


# --------------------------------------------------------------------------- flow
def figure_patient_flow(flow: pd.DataFrame, codebook: dict):
    """Boxes and arrows from enrolment to analysis and to the end of follow-up, per arm,
    drawn from the flow table (the follow-up box only where the table has its stages)."""
    from vertebroplasty.patient_flow import FOLLOW_UP_STAGES, exclusion_reasons

    arms = study_arms(codebook)
    reasons = exclusion_reasons(codebook)
    plt = _pyplot()
    n = flow.set_index(["stage", "arm"])["n"]
    followed = set(FOLLOW_UP_STAGES) <= set(flow["stage"])
    # Box centres from the top: enrolled, arm, excluded, analysed (and follow-up).
    levels = [0.93, 0.72, 0.51, 0.30, 0.09] if followed else [0.92, 0.64, 0.38, 0.10]
    fig, ax = plt.subplots(figsize=(WIDTH, 3.4 if followed else 2.6))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    total = int(n.xs("enrolled", level="stage").sum())
    box = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "0.3"}
    arrow = {"arrowstyle": "->", "color": "0.3"}
    box_z = {"zorder": 3}  # boxes over the arrows that pass behind them
    ax.text(
        0.5,
        levels[0],
        f"Consecutive patients enrolled\nn = {total}",
        ha="center",
        va="center",
        bbox=box,
    )
    gap = 0.07  # from a box's centre to where an arrow starts or ends
    for position, group in enumerate(arms):
        x, arm = (position + 0.5) / len(arms), group.code
        arm_box = box | {"edgecolor": group.colour, "linewidth": 1.2}
        ax.annotate(
            "", xy=(x, levels[1] + gap), xytext=(0.5, levels[0] - gap), arrowprops=arrow, zorder=1
        )
        ax.text(
            x,
            levels[1],
            f"{group.label}\nn = {n['enrolled', arm]}",
            ha="center",
            va="center",
            bbox=arm_box,
        )
        excluded = "Excluded:\n" + "\n".join(
            f"{label}, n = {n[f'excluded_{reason}', arm]}" for reason, label in reasons.items()
        )
        ax.text(x, levels[2], excluded, ha="center", va="center", bbox=box, fontsize=6, **box_z)
        ax.annotate(
            "", xy=(x, levels[3] + gap), xytext=(x, levels[1] - gap), arrowprops=arrow, zorder=1
        )
        ax.text(
            x,
            levels[3],
            f"Analysed\nn = {n['included', arm]}",
            ha="center",
            va="center",
            bbox=arm_box,
        )
        if followed:
            ax.annotate(
                "", xy=(x, levels[4] + gap), xytext=(x, levels[3] - gap), arrowprops=arrow, zorder=1
            )
            ended = "\n".join(
                f"{label}, n = {n[stage, arm]}" for stage, label in FOLLOW_UP_STAGES.items()
            )
            ax.text(x, levels[4], ended, ha="center", va="center", bbox=box, fontsize=6)

    def excluded_as(arm: str) -> str:
        return " and ".join(
            f"{n[f'excluded_{reason}', arm]} " + EXCLUDED_AS.get(reason, f"excluded for {label}")
            for reason, label in reasons.items()
        )

    def ended_as(arm: str) -> str:
        if not followed:
            return ""
        return (
            f", of whom {n['died', arm]} died during follow-up and {n['alive', arm]} were "
            "alive at the last contact"
        )

    text = FigureText(
        "Flow of patients through the study"
        + (", from enrolment to the end of follow-up." if followed else "."),
        f"Flow diagram: {total} patients enrolled; "
        + "; ".join(
            f"{arm.label}: {n['enrolled', arm.code]} enrolled, {excluded_as(arm.code)} "
            f"excluded, {int(n['included', arm.code])} analysed{ended_as(arm.code)}"
            for arm in arms
        )
        + ".",
    )
    return fig, text


# --------------------------------------------------------------------------- scores
def figure_scores(scores: pd.DataFrame, codebook: dict):
    """Mean ± SD of each score at each time point, one panel per score, n below."""
    from vertebroplasty.derived import scores as followed
    from vertebroplasty.derived import table3_columns

    arms = study_arms(codebook)
    plt = _pyplot()
    specs = {score: column_spec(codebook, score) for score in followed(codebook)}
    names = {
        score: f"{spec.get('label', score)} ({plain_number(spec['min'])}–"
        f"{plain_number(spec['max'])})"
        for score, spec in specs.items()
    }
    times = table3_columns(codebook)
    short = {time: codebook["definitions"]["table3_columns"][time]["short"] for time in times}
    fig, axes = plt.subplots(len(names), 1, figsize=(WIDTH, 5.6), sharex=True)
    for ax, (score, label) in zip(axes, names.items(), strict=True):
        for offset, group in zip(_offsets(len(arms), 0.16), arms, strict=True):
            arm = group.code
            rows = scores[(scores["score"] == score) & (scores["arm"] == arm)].set_index("time")
            rows = rows.loc[times]
            x = [i + offset for i in range(len(times))]
            ax.errorbar(
                x,
                rows["mean"],
                yerr=rows["sd"],
                color=group.colour,
                marker="o",
                markersize=3,
                linewidth=1,
                capsize=2,
                label=group.label,
            )
        ax.set_ylabel(label)
    axes[0].legend(frameon=False, loc="upper right")
    first = next(iter(names))
    counts = {score: _assessed(scores, score, times, arms.codes) for score in names}
    shared = all(counts[score] == counts[first] for score in names)
    ticks = [f"{short[time]}\n{counts[first][time]}" if shared else short[time] for time in times]
    if not shared:  # a score left blank at some visits: each panel gets its own n row
        for ax, score in zip(axes, names, strict=True):
            low, high = ax.get_ylim()
            ax.set_ylim(low - 0.15 * (high - low), high)  # room for the n row
            for i, time in enumerate(times):
                ax.annotate(
                    counts[score][time],
                    (i, 0.02),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    color="0.35",
                )
    axes[-1].set_xticks(range(len(times)), ticks)
    axes[-1].set_xlabel(f"Time point (n assessed: {' / '.join(arms.labels)})")
    fig.tight_layout()
    end = scores[scores["time"] == times[-1]].set_index(["score", "arm"])
    shown = [specs[score].get("label", score) for score in names]

    def means(score: str) -> list[str]:
        return [_mean_or_dash(end.loc[(score, code), "mean"]) for code in arms.codes]

    first_means = means(first)
    later = "; ".join(
        f"mean {label} {' and '.join(means(score))}"
        for score, label in zip(list(names)[1:], shown[1:], strict=True)
    )
    late_after = int(codebook["definitions"]["late_after_months"])
    when = "After more than a year" if late_after == 12 else f"After month {late_after}"
    text = FigureText(
        f"{', '.join(shown[:-1])} and {shown[-1]} before treatment and during follow-up "
        "(mean ± SD), by treatment. "
        + (
            "The numbers under each time point are the patients assessed in each arm."
            if shared
            else "The numbers at the foot of each panel are the patients assessed with that "
            "score at each time point, in each arm."
        ),
        f"{COUNT_WORDS[len(names)].capitalize()} line charts of mean score with SD bars over "
        f"{COUNT_WORDS[len(times)]} time points. {when}, mean {shown[0]} was "
        + " and ".join(
            f"{value} with {label}" for value, label in zip(first_means, arms.labels, strict=True)
        )
        + (f"; {later}" if later else "")
        + ".",
    )
    return fig, text


def _assessed(scores: pd.DataFrame, score: str, times: list[str], codes: list) -> dict:
    """Per time point, the n of each arm with the score, as the figure prints it: '68 / 51'."""
    rows = scores[scores["score"] == score]
    n = rows.set_index(["time", "arm"])["n"]
    return {time: " / ".join(str(int(n[time, code])) for code in codes) for time in times}


def _mean_or_dash(mean: float) -> str:
    """A mean for the figure's description; a dash where nobody was assessed."""
    return "—" if pd.isna(mean) else f"{mean:.2f}"


# --------------------------------------------------------------------------- pain relief
def figure_pain_relief(pain: pd.DataFrame, codebook: dict):
    """Stacked bars of pain relief categories at discharge and last visit, per arm."""
    arms = study_arms(codebook)
    plt = _pyplot()
    categories = list(codebook["definitions"]["pain_category"]["categories"])
    shades = dict(zip(categories, SHADES, strict=False))
    relieving = list(codebook["definitions"]["pain_relief"]["categories"])
    fig, ax = plt.subplots(figsize=(WIDTH, 2.4))
    bars, labels, colours = [], [], []
    for moment, title in (("pain_discharge", "Discharge"), ("pain_final", "Last visit")):
        for group in arms:
            arm = group.code
            rows = pain[(pain["variable"] == moment) & (pain["arm"] == arm)].set_index("category")
            total = rows["n"].sum()
            bars.append({c: 100 * rows.loc[c, "n"] / total for c in categories})
            labels.append(f"{title}\n{group.label}")
            colours.append(group.colour)
    left = [0.0] * len(bars)
    for category in categories:
        widths = [b[category] for b in bars]
        ax.barh(
            range(len(bars)),
            widths,
            left=left,
            color=colours,
            alpha=shades[category],
            edgecolor="0.2",  # each segment outlined: its lighter shades alone fade into white
            linewidth=0.5,
            label=category,
        )
        left = [lft + w for lft, w in zip(left, widths, strict=True)]
    ax.set_yticks(range(len(bars)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"Patients (%): {', '.join(categories)} from left to right")
    ax.set_xlim(0, 100)
    fig.tight_layout()
    final = pain[pain["variable"] == "pain_final"]
    relief = {
        arm: final[(final["arm"] == arm) & final["category"].isin(relieving)]["n"].sum()
        for arm in arms.codes
    }
    totals = {arm: final[final["arm"] == arm]["n"].sum() for arm in arms.codes}
    scale = category_source(codebook, "pain_category").upper()
    ranges = ", ".join(f"{c} {category_range(codebook, 'pain_category', c)}" for c in categories)
    text = FigureText(
        f"Pain relief categories at discharge and at the last visit, by treatment "
        f"({scale}: {ranges}).",
        "Stacked horizontal bars of the share of patients in each pain category. At the last "
        + "visit, "
        + " and ".join(f"{relief[a.code]} of {totals[a.code]} {a.label} patients" for a in arms)
        + f" had {' or '.join(relieving)} relief.",
    )
    return fig, text


# --------------------------------------------------------------------------- ASIA shifts
def figure_asia_shift(transitions: pd.DataFrame, codebook: dict):
    """ASIA grade before against after, one heat map per arm, counts in the cells."""
    from vertebroplasty.derived import asia_grades, no_paraplegia_grade

    arms = study_arms(codebook)
    plt = _pyplot()
    grades = asia_grades(codebook)
    free = no_paraplegia_grade(codebook)
    fig, axes = plt.subplots(1, len(arms), figsize=(WIDTH, 2.0))
    for index, (ax, group) in enumerate(zip(axes, arms, strict=True)):
        arm = group.code
        grid = (
            transitions[transitions["arm"] == arm]
            .pivot(index="before", columns="after", values="n")
            .loc[grades, grades]
        )
        cells = ax.imshow(
            grid.to_numpy(),
            cmap=HEAT_MAPS[index],
            vmin=0,
            vmax=max(1, grid.to_numpy().max()),
        )
        for i in range(len(grades)):
            for j in range(len(grades)):
                value = int(grid.iloc[i, j])
                if value:
                    ax.text(
                        j,
                        i,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color=text_colour_on(cells.cmap(cells.norm(value))),
                    )
        ax.set_xticks(range(len(grades)), grades)
        ax.set_yticks(range(len(grades)), grades)
        ax.set_xlabel("At last follow-up")
        ax.set_title(group.label, color=legible_on(group.colour))
    axes[0].set_ylabel("Before treatment")
    fig.tight_layout()
    moved = {
        arm: transitions[
            (transitions["arm"] == arm)
            & (transitions["before"] != free)
            & (transitions["after"] == free)
        ]["n"].sum()
        for arm in arms.codes
    }
    paraplegic = [g for g in grades if g != free]
    size = COUNT_WORDS.get(len(grades), str(len(grades)))
    text = FigureText(
        "ASIA impairment grade before treatment against grade at last follow-up. Cells on the "
        "diagonal are unchanged; right of it, improved; left of it, deteriorated.",
        f"{COUNT_WORDS[len(arms)].capitalize()} {size}-by-{size} heat maps of patient counts "
        "by ASIA grade before and after. "
        + " and ".join(f"{moved[a.code]} {a.label} patients" for a in arms)
        + f" moved from paraplegia (grades {paraplegic[0]}–{paraplegic[-1]}) to grade {free}.",
    )
    return fig, text


# --------------------------------------------------------------------------- leakage
def figure_leakage(leakage: pd.DataFrame, codebook: dict):
    """Grouped bars of leakage sites, per arm, as % of patients treated."""
    from vertebroplasty.secondary_tables import leakage_sites

    arms = study_arms(codebook)
    plt = _pyplot()
    sites = {
        site: SITE_LABELS.get(site, label)
        for site, label in leakage_sites(codebook).items()
        if site != "none"
    }
    fig, ax = plt.subplots(figsize=(WIDTH, 2.0))
    for offset, group in zip(_offsets(len(arms), 0.4), arms, strict=True):
        arm = group.code
        rows = leakage[leakage["arm"] == arm].set_index("category")
        total = rows["n"].sum()
        heights = [100 * rows.loc[s, "n"] / total for s in sites]
        ax.bar(
            [i + offset for i in range(len(sites))],
            heights,
            width=0.4,
            color=group.colour,
            label=group.label,
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
            f"{arm.label}: "
            + ", ".join(
                f"{sites[s].replace(chr(10), ' ').replace('- ', '')} {counts[arm.code, s]}"
                for s in sites
            )
            for arm in arms
        )
        + ".",
    )
    return fig, text


def figure_adjusted_differences(longitudinal: pd.DataFrame, codebook: dict):
    """Per score: the baseline-adjusted difference between the arms at each time point
    (ANCOVA) and the mixed model's, with 95% CIs (secondary analysis)."""
    from vertebroplasty.derived import table3_columns

    arms = study_arms(codebook)
    plt = _pyplot()
    times = codebook["definitions"]["table3_columns"]
    followup = table3_columns(codebook)[1:]
    names = {
        score: column_spec(codebook, score).get("label", score)
        for score in dict.fromkeys(key.split(".")[1] for key in longitudinal["comparison"])
    }
    fig, axes = plt.subplots(1, len(names), figsize=(WIDTH, 2.2))
    described = []
    for ax, (score, name) in zip(axes, names.items(), strict=True):
        for offset, (effect, label, marker) in zip(
            _offsets(2, 0.3),
            (("ancova", "ANCOVA", "o"), ("mixed_model", "Mixed model", "s")),
            strict=True,
        ):
            rows = longitudinal[
                (longitudinal["effect"] == effect)
                & longitudinal["comparison"].str.startswith(f"{effect.split('_')[0]}.{score}.")
            ].set_index("time")
            x = [i + offset for i in range(len(followup))]
            y = [rows.loc[t, "estimate"] for t in followup]
            errors = [
                [y[i] - rows.loc[t, "low"] for i, t in enumerate(followup)],
                [rows.loc[t, "high"] - y[i] for i, t in enumerate(followup)],
            ]
            ax.errorbar(
                x,
                y,
                yerr=errors,
                fmt=marker,
                color="black",
                label=label,
                markersize=3,
                capsize=2,
                linewidth=0.8,
                fillstyle="full" if effect == "ancova" else "none",
            )
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_xticks(range(len(followup)), [times[t]["short"] for t in followup])
        ax.set_title(name, fontsize=8)
        described.append(
            f"{name}: "
            + ", ".join(f"{times[t]['short']} {rows.loc[t, 'estimate']:.1f}" for t in followup)
        )
    axes[0].set_ylabel(f"{arms[0].label} minus {arms[1].label}")
    axes[-1].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    text = FigureText(
        f"Secondary analysis: differences between the arms ({arms[0].label} minus "
        f"{arms[1].label}) adjusted for the score before treatment, with confidence "
        "intervals (filled: ANCOVA at each time point; open: linear mixed model).",
        "Point-and-interval chart of adjusted differences by time point. Mixed-model "
        "estimates: " + "; ".join(described) + ".",
    )
    return fig, text


def _offsets(count: int, spread: float) -> list[float]:
    """Horizontal offsets of ``count`` arms around a tick (two arms: ±spread/2)."""
    if count == 1:
        return [0.0]
    return [-spread / 2 + spread * i / (count - 1) for i in range(count)]
