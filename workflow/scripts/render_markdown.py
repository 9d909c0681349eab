"""Render the manuscript Markdown from the section templates, tables, figures and numbers."""

import logging
from pathlib import Path

import yaml

from vertebroplasty.registry import NumbersRegistry
from vertebroplasty.rendering import render_manuscript
from vertebroplasty.step import run_step
from vertebroplasty.template_helpers import Manuscript

log = logging.getLogger(__name__)


def main(
    numbers: str,
    tables: list[str],
    figure_dir: str,
    facts: Path,
    metadata: Path,
    template_dir: Path,
    output: Path,
    date: str,
    synthetic_cohort: bool,
    statistics: dict,
) -> None:
    registry = NumbersRegistry.from_json(numbers)
    markdown = {
        Path(t).stem.removeprefix("table_"): Path(t).read_text(encoding="utf-8") for t in tables
    }
    manuscript = Manuscript(
        registry=registry,
        facts=yaml.safe_load(Path(facts).read_text(encoding="utf-8")),
        tables=markdown,
        figure_dir=figure_dir,
        statistics=statistics,
    )
    meta = yaml.safe_load(Path(metadata).read_text(encoding="utf-8"))
    settings = {"date": date, "synthetic_cohort": synthetic_cohort}
    text = render_manuscript(Path(template_dir), manuscript, meta, settings)
    Path(output).write_text(text, encoding="utf-8")
    log.info("rendered %s (%d lines) from %d numbers", output, text.count("\n"), len(registry))


if __name__ == "__main__":
    output = Path(snakemake.output.markdown)  # noqa: F821 - injected by Snakemake
    figures = Path(snakemake.input.figures[0]).parent  # noqa: F821
    run_step(
        main,
        snakemake.log[0],  # noqa: F821
        numbers=snakemake.input.numbers,  # noqa: F821
        tables=list(snakemake.input.tables),  # noqa: F821
        figure_dir=Path("..", figures.relative_to(output.parent.parent)).as_posix(),
        facts=snakemake.input.facts,  # noqa: F821
        metadata=snakemake.input.metadata,  # noqa: F821
        template_dir=snakemake.params.template_dir,  # noqa: F821
        output=output,
        date=snakemake.params.date,  # noqa: F821
        synthetic_cohort=snakemake.params.synthetic_cohort,  # noqa: F821
        statistics=dict(snakemake.params.statistics),  # noqa: F821
    )
