"""The submission bundle: one zip holding what a journal's submission system asks for.

The manuscript (DOCX, PDF, JATS), the masked copy for blind review, the supplement,
each figure as its own file in the journal profile's format and resolution, named by
its number ("Figure_1.tiff"), each table's data as CSV ("Table_1.csv"), the reporting
checklists and the build's manifest, plus a contents list with every file's SHA-256.
Numbers come from the rendered Markdown, so the files carry the numbers the text cites.

The zip is deterministic: entries sorted, each dated at the manuscript's date, with
fixed permissions, so two builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from manuscript_engine.core.atomic_files import atomic_output
from manuscript_engine.core.errors import ManuscriptError

FIGURE_PLACED = re.compile(r"^!\[Figure (S?\d+)\. .*?\]\([^)]*?/([\w-]+)\.svg\)", re.MULTILINE)
TABLE_PLACED = re.compile(r"^Table: Table (S?\d+)\. .*\{#tbl:([\w-]+)\}\s*$", re.MULTILINE)
RASTER = {"tiff": "TIFF", "png": "PNG", "jpeg": "JPEG"}


@dataclass(frozen=True)
class Entry:
    """One file of the bundle: its name in the zip and its bytes."""

    name: str
    data: bytes


def placed_figures(markdown: str) -> list[tuple[str, str]]:
    """(number, figure name) of every figure a document places, in order."""
    return FIGURE_PLACED.findall(markdown)


def placed_tables(markdown: str) -> list[tuple[str, str]]:
    """(number, table name) of every table a document places, in order."""
    return TABLE_PLACED.findall(markdown)


TABLE_ID = re.compile(r"\{#tbl:([\w-]+)\}")


def table_data(markdown_tables: list[Path]) -> dict[str, Path]:
    """Each table's label -> the CSV written beside its Markdown (same name)."""
    found = {}
    for table in markdown_tables:
        label = TABLE_ID.search(Path(table).read_text(encoding="utf-8"))
        csv = Path(table).with_suffix(".csv")
        if label and csv.exists():
            found[label.group(1)] = csv
    return found


def figure_file(png: Path, svg: Path, fmt: str, dpi: int) -> bytes:
    """One figure in the journal's format: rasters from the drawn PNG, vectors from the SVG.

    A raster is refused when the PNG was drawn coarser than the journal asks: scaling a
    picture up adds no detail, so the figure step must draw it finer.
    """
    if fmt == "svg":
        return Path(svg).read_bytes()
    if fmt == "pdf":
        return _svg_as_pdf(Path(svg))
    from PIL import Image

    with Image.open(png) as image:
        drawn = round(image.info.get("dpi", (72, 72))[0])
        if drawn < dpi:
            raise ManuscriptError(
                f"{png}: the figure is drawn at {drawn} dpi, the journal asks for {dpi}. "
                "The figure step draws at the profile's resolution; rebuild the figures."
            )
        picture = image.convert("RGB") if fmt == "jpeg" else image
        out = io.BytesIO()
        options = {"compression": "tiff_lzw"} if fmt == "tiff" else {}
        picture.save(out, RASTER[fmt], dpi=(drawn, drawn), **options)
        return out.getvalue()


def _svg_as_pdf(svg: Path) -> bytes:
    """The SVG on a page of its own size, as PDF (Typst, which the PDF build uses too)."""
    import typst

    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "figure.typ"
        (Path(scratch) / "figure.svg").write_bytes(svg.read_bytes())
        page.write_text(
            '#set page(width: auto, height: auto, margin: 0pt)\n#image("figure.svg")\n',
            encoding="utf-8",
        )
        from manuscript_engine.core.native_calls import NATIVE_LOCK

        with NATIVE_LOCK:
            return typst.compile(str(page), root=scratch)


def contents_list(entries: list[Entry], journal: str) -> Entry:
    """A plain-text list of the bundle's files with their sizes and SHA-256."""
    lines = [
        f"Submission bundle for {journal}.",
        "Each file, its size in bytes and its SHA-256:",
        "",
    ] + [
        f"{entry.name}  {len(entry.data)}  {hashlib.sha256(entry.data).hexdigest()}"
        for entry in sorted(entries, key=lambda e: e.name)
    ]
    return Entry("CONTENTS.txt", ("\n".join(lines) + "\n").encode("utf-8"))


def write_zip(path: Path, entries: list[Entry], date: str) -> None:
    """The entries as a zip with fixed dates, order and permissions (same bytes each time)."""
    names = [entry.name for entry in entries]
    if len(set(names)) != len(names):
        raise ManuscriptError(f"two files of the bundle share a name: {sorted(names)}")
    day = dt.date.fromisoformat(date)
    with atomic_output(path) as partial, zipfile.ZipFile(partial, "w") as bundle:
        for entry in sorted(entries, key=lambda e: e.name):
            info = zipfile.ZipInfo(entry.name, date_time=(day.year, day.month, day.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, entry.data)


def bundle_entries(
    *,
    documents: dict[str, list[Path]],
    markdowns: list[Path],
    figures: dict[str, tuple[Path, Path]],
    tables: dict[str, Path],
    extras: list[Path],
    figure_format: str,
    dpi: int,
) -> list[Entry]:
    """Every file of the bundle, before its contents list.

    ``documents``: folder in the zip -> files; ``markdowns``: the documents' Markdown,
    whose placements number the figures and tables; ``figures``: name -> (PNG, SVG);
    ``tables``: label -> CSV (:func:`table_data`); ``extras``: files at the top
    (the manifest).
    """
    entries = [
        Entry(f"{folder}/{Path(file).name}", Path(file).read_bytes())
        for folder, files in documents.items()
        for file in files
    ]
    for markdown in markdowns:
        text = Path(markdown).read_text(encoding="utf-8")
        for number, name in placed_figures(text):
            png, svg = figures[name]
            data = figure_file(png, svg, figure_format, dpi)
            entries.append(Entry(f"figures/Figure_{number}.{figure_format}", data))
        for number, name in placed_tables(text):
            if name in tables:
                entries.append(Entry(f"tables/Table_{number}.csv", tables[name].read_bytes()))
    entries += [Entry(Path(file).name, Path(file).read_bytes()) for file in extras]
    return entries
