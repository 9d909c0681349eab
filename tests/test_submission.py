"""The submission bundle: figures and tables named by their numbers, in the journal's
format, zipped the same way every time."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.output.submission import (
    Entry,
    contents_list,
    figure_file,
    placed_figures,
    placed_tables,
    table_data,
    write_zip,
)

MARKDOWN = """\
![Figure 1. Flow of patients.](../figures/patient_flow.svg){#fig:patient_flow fig-alt="x"}

Table: Table 2. Baseline, by treatment. {#tbl:baseline}

![Figure S1. Adjusted differences.](../figures/adjusted_differences.svg){#fig:adjusted}

Table: Table S3. Change from before treatment. {#tbl:change}
"""
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="144pt" height="72pt" viewBox="0 0 144 72">'
    '<rect x="10" y="10" width="50" height="40" fill="#0072B2"/></svg>'
)


@pytest.fixture
def drawn(tmp_path) -> tuple[Path, Path]:
    png = tmp_path / "figure.png"
    Image.new("RGBA", (600, 300), (0, 114, 178, 255)).save(png, dpi=(300, 300))
    svg = tmp_path / "figure.svg"
    svg.write_text(SVG, encoding="utf-8")
    return png, svg


def test_figures_and_tables_are_numbered_as_the_text_places_them():
    assert placed_figures(MARKDOWN) == [("1", "patient_flow"), ("S1", "adjusted_differences")]
    assert placed_tables(MARKDOWN) == [("2", "baseline"), ("S3", "change")]


def test_a_table_label_leads_to_the_csv_beside_its_markdown(tmp_path):
    (tmp_path / "table_baseline.md").write_text("| a |\n\nTable: Baseline. {#tbl:baseline}\n")
    (tmp_path / "table_baseline.csv").write_text("a\n1\n")
    (tmp_path / "table_other.md").write_text("no label here\n")
    assert table_data(sorted(tmp_path.glob("*.md"))) == {
        "baseline": tmp_path / "table_baseline.csv"
    }


@pytest.mark.parametrize("fmt", ["tiff", "png", "jpeg"])
def test_a_raster_figure_carries_the_resolution_it_was_drawn_at(drawn, fmt):
    data = figure_file(*drawn, fmt, 300)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == {"tiff": "TIFF", "png": "PNG", "jpeg": "JPEG"}[fmt]
        assert image.size == (600, 300)
        assert round(image.info["dpi"][0]) == 300


def test_a_figure_drawn_coarser_than_the_journal_asks_is_refused(drawn):
    with pytest.raises(ManuscriptError, match="drawn at 300 dpi, the journal asks for 600"):
        figure_file(*drawn, "tiff", 600)


def test_a_vector_figure_is_the_svg_or_a_pdf_page_of_its_size(drawn, tmp_path):
    assert figure_file(*drawn, "svg", 300) == drawn[1].read_bytes()
    pdf = tmp_path / "figure.pdf"
    pdf.write_bytes(figure_file(*drawn, "pdf", 300))
    (page,) = PdfReader(pdf).pages
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (144, 72)


def test_the_zip_has_the_same_bytes_every_time_and_lists_each_files_hash(tmp_path):
    entries = [Entry("tables/Table_1.csv", b"a\n1\n"), Entry("figures/Figure_1.tiff", b"II*")]
    entries.append(contents_list(entries, "A Journal"))
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_zip(first, entries, "2026-11-27")
    write_zip(second, list(reversed(entries)), "2026-11-27")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as bundle:
        assert bundle.namelist() == sorted(e.name for e in entries)
        assert {i.date_time for i in bundle.infolist()} == {(2026, 11, 27, 0, 0, 0)}
        contents = bundle.read("CONTENTS.txt").decode()
        digest = hashlib.sha256(b"a\n1\n").hexdigest()
        assert f"tables/Table_1.csv  4  {digest}" in contents


def test_two_files_with_one_name_are_refused(tmp_path):
    with pytest.raises(ManuscriptError, match="share a name"):
        write_zip(tmp_path / "x.zip", [Entry("a", b"1"), Entry("a", b"2")], "2026-11-27")


@pytest.mark.e2e
def test_the_built_bundle_holds_what_the_journal_asks_for(built_repo):
    """Opened as a journal's submission system would: every placed figure in the profile's
    format and resolution, every table's data, the masked copy, each file's hash listed."""
    import yaml

    config = yaml.safe_load((built_repo / "config/config.yaml").read_text("utf-8"))
    journal = config["journal"]
    profile = yaml.safe_load((built_repo / f"config/journals/{journal}.yaml").read_text("utf-8"))
    fmt, dpi = profile["figures"]["format"], profile["figures"]["dpi"]
    results = built_repo / "results"
    markdown = "".join(
        (results / f"manuscript/{name}.md").read_text("utf-8")
        for name in ("manuscript", "supplement")
    )
    with zipfile.ZipFile(results / f"submission/{journal}.zip") as bundle:
        names = set(bundle.namelist())
        figures = {f"figures/Figure_{number}.{fmt}" for number, _ in placed_figures(markdown)}
        assert {n for n in names if n.startswith("figures/")} == figures and len(figures) >= 5
        for name in figures:
            with Image.open(io.BytesIO(bundle.read(name))) as image:
                assert round(image.info["dpi"][0]) >= dpi, name
        tables = {n for n in names if n.startswith("tables/")}
        assert "tables/Table_2.csv" in tables and "tables/Table_S1.csv" in tables
        assert {"masked/masked.docx", "masked/masked.pdf", "manuscript/manuscript.xml"} <= names
        assert "checklist/strobe.docx" in names and "manifest.json" in names
        for document in ("manuscript/manuscript.docx", "supplement/supplement.pdf"):
            assert (
                bundle.read(document)
                == (results / "manuscript" / document.split("/")[1]).read_bytes()
            )
        listed = bundle.read("CONTENTS.txt").decode().splitlines()[3:]
        assert len(listed) == len(names) - 1
        for line in listed:
            name, size, digest = line.split("  ")
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
