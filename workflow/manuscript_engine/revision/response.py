"""The response to reviewers: the authors' letter, rendered like the manuscript.

``templates/response/*.md.j2`` go through the manuscript's own sandboxed renderer
(typed numbers refused, every printed value sealed, prose checked) with three helpers
more: ``old('key')`` and ``new('key')``, a number's printed text before and after the
revision (from ``results/revision/changes.json``, which ``make diff`` writes), and
``where('key')``, the section and line of the revised manuscript where the number is
quoted (see :mod:`manuscript_engine.revision.locations`). The letter is then checked
like the manuscript's document tree and written as DOCX.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.registry import NumbersRegistry
from manuscript_engine.core.yaml_files import load_yaml
from manuscript_engine.core.yaml_schemas import load_checked_yaml
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.output.conversion import build_document_tree, convert_document
from manuscript_engine.revision.changes import Changes, manuscript_template_lines, quoted_at
from manuscript_engine.revision.documents import pandoc_file
from manuscript_engine.revision.locations import Locator, pdf_lines, section_titles
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript
from manuscript_engine.text.template_lint import HelperCall, Quoted, issued

RESPONSE_DIR = "templates/response"
RESPONSE_GLOB = "*.md.j2"
CHANGES = "results/revision/changes.json"
NO_DIFF = (
    "no diff was made, so there are no old and new values: run `make diff FROM=<the "
    "submitted commit or tag>` first (it writes results/revision/changes.json)."
)


@dataclass
class RevisedManuscript(Manuscript):
    """The templates' helpers, and the numbers' old and new values and places."""

    changes: Changes | None = None
    locator: Locator | None = None
    template_dir: Path = Path("templates")

    def _changed(self, key: str):
        if self.changes is None:
            raise TemplateProblem(NO_DIFF)
        for change in self.changes.numbers:
            if change.key == key:
                return change
        raise TemplateProblem(
            f"'{key}' did not change between the two versions (results/revision/"
            f"changed_numbers.md lists the {len(self.changes.numbers)} that did); quote it "
            f"with num('{key}')."
        )

    def old(self, key: str) -> str:
        """The number as the earlier version printed it."""
        return self._changed(key).old

    def new(self, key: str) -> str:
        """The number as the revised version prints it."""
        return self._changed(key).new

    def where(self, key: str) -> str:
        """``Results, line 42``: where the revised manuscript quotes the number."""
        printed = self.registry[key].text
        place = quoted_at(key, manuscript_template_lines(self.template_dir))
        if " line " not in place:
            raise TemplateProblem(f"'{key}' is not quoted in the manuscript's templates")
        return self.locator.where(printed, place.split(" line ")[0])

    def globals(self) -> dict:
        helpers = super().globals()
        for name in ("old", "new", "where"):
            helpers[name] = _issuing(name, getattr(self, name))
        return helpers


def _issuing(name, helper):
    def marked(*args, **kwargs) -> Quoted:
        return issued(
            helper(*args, **kwargs), Quoted, HelperCall(name, args, tuple(kwargs.items()))
        )

    return marked


def render_response(repo: Path, changes_file: Path | None = None) -> str:
    """The letter's Markdown, from the current build (and the diff, when one was made)."""
    repo = Path(repo)
    results = repo / "results"
    config = load_yaml(repo / "config" / "config.yaml")
    changes_file = Path(changes_file) if changes_file else repo / CHANGES
    markdown = (results / "manuscript" / "manuscript.md").read_text(encoding="utf-8")
    sections = json.loads(
        (results / "pandoc" / "manuscript-sections.json").read_text(encoding="utf-8")
    )
    manuscript = RevisedManuscript(
        registry=NumbersRegistry.from_json(results / "numbers.json"),
        facts=load_checked_yaml(repo / "config" / "study_facts.yaml", "study_facts"),
        tables={},
        figure_dir="../figures",
        statistics=config["statistics"],
        codebook=load_codebook(repo / "data" / "codebook.yaml"),
        changes=Changes.from_json(changes_file.read_text(encoding="utf-8"))
        if changes_file.exists()
        else None,
        locator=Locator(
            pdf_lines(results / "manuscript" / "manuscript.pdf"),
            section_titles(markdown, sections),
        ),
        template_dir=repo / "templates",
    )
    metadata = load_checked_yaml(repo / "templates" / "metadata.yaml", "metadata")
    return render_manuscript(
        repo / RESPONSE_DIR,
        manuscript,
        metadata={**metadata, "title": f"Response to the reviewers: {metadata['title']}"},
        settings={
            "date": config["manuscript"]["date"],
            "synthetic_cohort": bool(config["synthetic_cohort"]),
        },
        section_glob=RESPONSE_GLOB,
    )


def write_response(repo: Path, output: Path, changes_file: Path | None = None) -> None:
    """Render the letter, check it like the manuscript, and write it as DOCX."""
    repo = Path(repo)
    text = render_response(repo, changes_file)
    date = load_yaml(repo / "config" / "config.yaml")["manuscript"]["date"]
    with tempfile.TemporaryDirectory() as scratch:
        markdown = Path(scratch) / "response.md"
        markdown.write_text(text, encoding="utf-8")
        sections = Path(scratch) / "sections.json"
        sections.write_text(
            json.dumps(
                [{"template": RESPONSE_DIR, "first_line": 1, "last_line": text.count("\n") + 1}]
            ),
            encoding="utf-8",
        )
        tree = Path(scratch) / "response.json"
        build_document_tree(
            markdown,
            tree,
            defaults=pandoc_file(repo, "tree.yaml"),
            bibliography=repo / "templates" / "references.bib",
            sections=sections,
            figures=[],
        )
        convert_document(
            tree,
            output,
            "docx",
            defaults=pandoc_file(repo, "docx.yaml"),
            date=date,
            reference_doc=repo / "results" / "pandoc" / "reference.docx",
        )
