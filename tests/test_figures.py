"""Figures: drawn from the analysis tables, with stable bytes and data-driven alt text."""

import json
import re

import pandas as pd
import pytest
import yaml
from conftest import CODEBOOK, REPO
from independent_cohort import rows

from manuscript_engine.core.step_runner import load_step, study_layout
from manuscript_engine.data.cohort import load_codebook, read_table
from manuscript_engine.output.figures import (
    GRAPHIC_CONTRAST,
    TEXT_CONTRAST,
    contrast_ratio,
    legible_on,
    make_figure,
    text_colour_on,
)
from vertebroplasty import layout
from vertebroplasty.analysis_dataset import build_patients
from vertebroplasty.figures import HEAT_MAPS
from vertebroplasty.layout import FIGURES
from vertebroplasty.patient_flow import summarise_patient_flow

BOOK = load_codebook(CODEBOOK)
TABLES = {name: load_step(spec) for name, spec in study_layout("vertebroplasty").TABLES.items()}

CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())
SOURCES = {name: spec["table"] for name, spec in FIGURES.items() if spec["table"] != "patient_flow"}
"""Each figure drawn from a study table, and that table (from the study's layout)."""


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    patients = build_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    for table in SOURCES.values():
        TABLES[table](
            patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK
        ).tidy.to_csv(folder / f"{table}.csv", index=False)
    flow = summarise_patient_flow(read_table(REPO / "data/raw/enrollment.csv"), BOOK, patients)
    flow.to_csv(folder / "patient_flow.csv", index=False)
    return folder


def draw(name, tables, folder):
    source = tables / f"{SOURCES.get(name, 'patient_flow')}.csv"
    paths = [folder / f"{name}.svg", folder / f"{name}.png", folder / f"{name}.json"]
    make_figure(
        name,
        load_step(FIGURES[name]["draw"]),
        table=source,
        svg=paths[0],
        png=paths[1],
        numbers=paths[2],
        codebook=BOOK,
        style=layout.FIGURE_STYLE,
    )
    return paths


@pytest.mark.parametrize("name", FIGURES)
def test_a_figure_drawn_twice_has_identical_bytes(name, tables, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = draw(name, tables, tmp_path / "a")
    second = draw(name, tables, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = first[0].read_text()
    assert "<dc:date>" not in svg


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_has_a_caption_and_alt_text_in_the_registry(name, tables, tmp_path):
    numbers = json.loads(draw(name, tables, tmp_path)[2].read_text())
    assert numbers[f"figures.{name}.caption"]["text"]
    assert len(numbers[f"figures.{name}.alt"]["text"]) > 40


def test_alt_text_quotes_the_data_it_was_drawn_from(tables, tmp_path):
    scores = pd.read_csv(tables / "table_scores.csv")
    last = scores[(scores["score"] == "vas") & (scores["time"] == "gt12")].set_index("arm")
    alt = json.loads(draw("scores_over_time", tables, tmp_path)[2].read_text())[
        "figures.scores_over_time.alt"
    ]["text"]
    assert f"{last.loc['PVP+ITR', 'mean']:.2f}" in alt
    flow_alt = json.loads(draw("patient_flow", tables, tmp_path)[2].read_text())[
        "figures.patient_flow.alt"
    ]["text"]
    assert "145 patients enrolled" in flow_alt
    # Deaths among the analysed patients, read from the CSVs with the csv module.
    arm = {r["patient_id"]: r["arm"] for r in rows("enrollment")}
    for label in ("PVP+ITR", "PVP"):
        died = sum(r["died"] == "yes" for r in rows("followup") if arm[r["patient_id"]] == label)
        assert f"{label}: " in flow_alt
        segment = flow_alt.split(f"{label}: ")[1].split(";")[0]
        assert f"of whom {died} died during follow-up" in segment


def test_the_flow_figure_draws_the_follow_up_only_when_the_table_has_it(tables, tmp_path):
    flow = pd.read_csv(tables / "patient_flow.csv")
    short = tmp_path / "short"
    short.mkdir()
    flow[~flow["stage"].isin(["died", "alive"])].to_csv(short / "patient_flow.csv", index=False)
    full = json.loads(draw("patient_flow", tables, tmp_path)[2].read_text())
    brief = json.loads(draw("patient_flow", short, short)[2].read_text())
    assert "died during follow-up" in full["figures.patient_flow.alt"]["text"]
    assert "died" not in brief["figures.patient_flow.alt"]["text"]


# --------------------------------------------------------------------------- contrast
TEXT_FILL = re.compile(r'<g style="fill: (#[0-9a-f]{6})" transform="translate\([^)]*\) scale\(')
"""A run of lettering in matplotlib's SVG (text drawn as glyph paths) and its colour."""


def test_contrast_ratios_match_wcag_reference_values():
    # WCAG 2.1, 1.4.3: black on white is 21:1; #767676 is the lightest grey at 4.5:1
    assert contrast_ratio("black", "white") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "white") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("white", "white") == pytest.approx(1.0)


@pytest.mark.parametrize("codebook", [CODEBOOK, REPO / "examples/gbsg2/data/codebook.yaml"])
def test_every_arm_colour_stands_out_from_the_white_background(codebook):
    for group in load_codebook(codebook)["arms"]["groups"]:
        assert contrast_ratio(group["colour"], "white") >= GRAPHIC_CONTRAST, group


@pytest.mark.parametrize("scale", HEAT_MAPS)
def test_a_count_on_any_cell_of_a_heat_map_reads_at_aa(scale):
    from matplotlib import colormaps

    for level in range(256):
        cell = colormaps[scale](level)
        assert contrast_ratio(text_colour_on(cell), cell) >= TEXT_CONTRAST, (scale, level)


def test_a_series_colour_is_darkened_for_text_only_as_far_as_needed():
    darker = legible_on("#D55E00")
    assert contrast_ratio(darker, "white") >= TEXT_CONTRAST
    assert contrast_ratio(darker, "white") < TEXT_CONTRAST + 0.2
    assert legible_on("#0072B2") == "#0072b2"  # already 5.2:1


@pytest.mark.parametrize("name", FIGURES)
def test_coloured_lettering_in_every_figure_reads_at_aa_on_white(name, tables, tmp_path):
    svg = draw(name, tables, tmp_path)[0].read_text()
    colours = set(TEXT_FILL.findall(svg)) - {"#ffffff"}  # white: on dark cells only (above)
    for colour in colours:
        assert contrast_ratio(colour, "white") >= TEXT_CONTRAST, (name, colour)
