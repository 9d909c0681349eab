"""Steps of the text stage: rendering the manuscript's Markdown.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


def render_markdown(input, output, params, wildcards) -> None:
    from manuscript_engine.core.registry import NumbersRegistry
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.text.checklists import ChecklistMarkers, load_checklists
    from manuscript_engine.text.rendering import render_manuscript
    from manuscript_engine.text.template_helpers import Manuscript

    settings = read_settings(input.settings)
    markdown = Path(output.markdown)
    figures = Path(input.figures[0]).parent
    manuscript = Manuscript(
        registry=NumbersRegistry.from_json(Path(input.numbers)),
        facts=load_checked_yaml(input.facts, "study_facts"),
        tables={
            Path(t).stem.removeprefix("table_"): Path(t).read_text(encoding="utf-8")
            for t in input.tables
        },
        figure_dir=Path("..", figures.relative_to(markdown.parent.parent)).as_posix(),
        statistics=settings["statistics"],
        codebook=load_codebook(Path(input.codebook)),
        checklists=ChecklistMarkers(load_checklists(settings.get("checklists"))),
    )
    meta = load_checked_yaml(input.metadata, "metadata")
    shown = {
        "date": settings["manuscript"]["date"],
        "synthetic_cohort": settings["synthetic_cohort"],
    }
    sources: list[dict] = []
    annotated: list[str] = []
    document = getattr(wildcards, "document", "manuscript")
    text = render_manuscript(
        Path(params.template_dir),
        manuscript,
        metadata=meta,
        settings=shown,
        sources=sources,
        document=document,
        annotated=annotated,
    )
    manuscript.checklists.check_located(document)
    if document == "manuscript":
        manuscript.checklists.check_complete()
    manuscript.checklists.write(Path(output.markers))
    write_text_atomically(output.sources, json.dumps(sources, indent=1) + "\n")
    write_text_atomically(output.annotated, annotated[0])
    write_text_atomically(markdown, text)
    log.info("rendered %s (%d lines)", markdown, text.count("\n"))
