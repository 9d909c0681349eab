"""Render the manuscript Markdown from the section templates, tables and numbers registry."""

import logging
from pathlib import Path

import yaml

from vertebroplasty.registry import NumbersRegistry
from vertebroplasty.rendering import render_manuscript
from vertebroplasty.step import run_step

log = logging.getLogger(__name__)


def main(
    numbers: str,
    tables: list[str],
    metadata: Path,
    template_dir: Path,
    output: Path,
    date: str,
    synthetic_cohort: bool,
) -> None:
    registry = NumbersRegistry.from_json(numbers)
    markdown = {
        Path(t).stem.removeprefix("table_"): Path(t).read_text(encoding="utf-8") for t in tables
    }
    meta = yaml.safe_load(Path(metadata).read_text(encoding="utf-8"))
    settings = {"date": date, "synthetic_cohort": synthetic_cohort}
    text = render_manuscript(Path(template_dir), registry, meta, settings, markdown)
    Path(output).write_text(text, encoding="utf-8")
    log.info("rendered %s (%d lines) from %d numbers", output, text.count("\n"), len(registry))


if __name__ == "__main__":
    run_step(
        main,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        numbers=snakemake.input.numbers,  # noqa: F821
        tables=list(snakemake.input.tables),  # noqa: F821
        metadata=snakemake.input.metadata,  # noqa: F821
        template_dir=snakemake.params.template_dir,  # noqa: F821
        output=snakemake.output.markdown,  # noqa: F821
        date=snakemake.params.date,  # noqa: F821
        synthetic_cohort=snakemake.params.synthetic_cohort,  # noqa: F821
    )
