"""Rendering the manuscript's Markdown from the Jinja templates.

Templates run in a sandbox with ``StrictUndefined``: a missing value stops the build
with the template's name and line, never a blank in the paper. Jinja's comment
delimiters are ``{## ... ##}`` so that pandoc attributes such as ``{#tbl:baseline}``
pass through untouched.

Templates are untrusted input (they arrive in pull requests): every template loaded,
section or include, must be a UTF-8 file inside the templates folder (a link leading
out of it is refused) and passes the typed-number check; every value printed with
``{{ }}`` is checked as it is printed, and the rendered text once more (see
:mod:`manuscript_engine.text.template_lint`), so a digit or a significance word that does not
come from the data fails the build however it was produced.

Each section's rendered text is then read as prose
(:mod:`manuscript_engine.text.prose_lint`): a sentence that opens with a numeral, or a
count that disagrees with its noun or verb, fails the build at the template line that
printed the number (each sealed value records it as it is printed).
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.text_files import decode_utf8
from manuscript_engine.text.prose_lint import Nouns, ProseSlip, nouns_of_templates, prose_slips
from manuscript_engine.text.template_helpers import Manuscript, number_placements
from manuscript_engine.text.template_lint import (
    PRINTED,
    Printed,
    Seals,
    is_issued,
    lint_source,
    printing_place,
    quoted,
    rendered_problems,
)

DOCUMENT_FOLDERS = {"manuscript": "sections", "supplement": "supplement"}
"""Each document's templates: ``<folder>/NN-name.md.j2`` under the templates folder. A
study without a supplement has no ``supplement/`` folder."""
SUPPLEMENT_TITLE = "Supplementary material"
YAML_BLOCK = re.compile(r"(?m)^---[ \t]*\n(?=[ \t]*[\w-]+[ \t]*:)")
"""A pandoc YAML metadata block (it would override the title block, the synthetic-data
notice included)."""


MAX_TEMPLATE_BYTES = 1_000_000


def read_template(path: Path, template_dir: Path) -> str:
    """A template's text, refused unless it is a UTF-8 file inside the templates folder.

    A byte-order mark (some Windows editors add one) is dropped: kept, it would turn
    the first heading into literal text.
    """
    shown = _display_path(path, template_dir)
    if Path(template_dir).is_symlink():
        raise TemplateProblem(
            f"{Path(template_dir).name}/ is a link ({Path(template_dir).resolve()}); the "
            "templates must be a real folder of the repository."
        )
    base = Path(template_dir).resolve()
    real = Path(path).resolve()
    if not real.is_relative_to(base):
        raise TemplateProblem(
            f"{shown} is a link to a file outside {base.name}/ ({real}). Templates must be "
            f"real files inside {base.name}/: replace the link with the file's text."
        )
    if not real.is_file():
        raise TemplateProblem(f"{shown} is not a regular file: replace it with a text file.")
    with open(real, "rb") as stream:
        data = stream.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateProblem(f"{shown} is larger than {MAX_TEMPLATE_BYTES} bytes: split it.")
    return decode_utf8(data, shown, TemplateProblem)


class TemplateFolderLoader(jinja2.BaseLoader):
    """Loads templates through :func:`read_template`, and checks includes for typed numbers."""

    def __init__(self, template_dir: Path) -> None:
        self.template_dir = Path(template_dir)

    def get_source(self, environment, template):
        pieces = jinja2.loaders.split_template_path(template)  # refuses '..'
        path = self.template_dir.joinpath(*pieces)
        if not path.exists() and not path.is_symlink():
            raise jinja2.TemplateNotFound(template)
        source = read_template(path, self.template_dir)
        problems = lint_source(source, _display_path(path, self.template_dir))
        if problems:
            raise TemplateProblem("\n".join(map(str, problems)))
        return source, os.path.abspath(path), lambda: True


FORGED_NUMBER_MARK = re.compile(
    r"\{[^{}\n]*?(?:\.num\b|\bclass\s*=\s*[\"']?[^\"'}]*\bnum\b|\bdata-key\b)[^{}\n]*\}"
)
"""A quoted number's mark (template_helpers.number_span) typed in a template: the
helpers' own marks are sealed, so in the checks' view of the text only typed ones show."""


def build_environment(template_dir: Path, seals: Seals | None = None) -> SandboxedEnvironment:
    """A sandboxed Jinja environment that refuses undefined values and unsourced digits."""
    seals = seals or Seals()

    def finalize(value):
        if is_issued(value):
            path, line = printing_place()
            return seals.seal(value, Printed(path, line, value.call))
        text = str(value)
        problems = rendered_problems(text, seals, "", PRINTED)
        if problems:
            raise TemplateProblem(
                f"{problems[0].rule} (the expression gave {seals.unseal(text)!r})"
            )
        return text

    return SandboxedEnvironment(
        loader=TemplateFolderLoader(template_dir),
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        comment_start_string="{##",
        comment_end_string="##}",
    )


def section_templates(
    template_dir: Path, document: str = "manuscript", glob: str | None = None
) -> list[str]:
    """A document's templates in the order of their numeric prefix (``01-``, ``02-``, ...);
    ``glob`` (under ``template_dir``) for a document outside the manuscript's folders,
    such as the response letter."""
    pattern = glob or f"{DOCUMENT_FOLDERS[document]}/*.md.j2"
    return sorted(p.relative_to(template_dir).as_posix() for p in Path(template_dir).glob(pattern))


def placements(template_dir: Path) -> dict:
    """The number of every table and figure, from the templates of every document.

    Each document's rendering reads the others' templates too, so "Table S1" in the
    manuscript and the supplement's own caption agree.
    """
    shown = Path(template_dir).name
    return number_placements(
        {
            document: {
                f"{shown}/{name}": read_template(Path(template_dir) / name, template_dir)
                for name in section_templates(template_dir, document)
            }
            for document in DOCUMENT_FOLDERS
        }
    )


def template_location(exc: BaseException, template_dir: Path) -> str:
    """``templates/x.md.j2 line N: <text>`` for the innermost template frame of ``exc``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    filename = getattr(exc, "filename", None)
    lineno = getattr(exc, "lineno", None)
    if frames and not isinstance(exc, jinja2.TemplateSyntaxError):
        filename, lineno = frames[-1].filename, frames[-1].lineno
    if not filename:
        return "a template"
    return _line_of(filename, lineno, template_dir)


def _line_of(filename: str, lineno: int | None, template_dir: Path) -> str:
    """``templates/x.md.j2 line N: <text of the line>`` (without the text if unreadable)."""
    path = _template_file(filename, template_dir)
    shown = _display_path(path, template_dir)
    try:
        line = path.read_text(encoding="utf-8-sig").splitlines()[lineno - 1].strip()
    except (OSError, IndexError, TypeError, UnicodeDecodeError):
        return f"{shown} line {lineno}"
    return f"{shown} line {lineno}: {line}"


def _template_file(filename: str, template_dir: Path) -> Path:
    """The file behind a file name Jinja reports: absolute, or relative to the working folder.

    Jinja reports the name its loader gave. A loader of a relative folder (Jinja's own
    ``FileSystemLoader("templates")``) gives it from the working folder, as Python's
    frames do; joined to the templates folder once more, it read
    ``templates/templates/sections/...`` and the line could not be shown. Only a bare
    template name (``sections/x.md.j2``, no file from here) is looked up in the folder.
    """
    path = Path(filename)
    if path.is_absolute() or path.exists():
        return Path(os.path.abspath(path))
    return Path(template_dir) / path


def _display_path(path: Path, template_dir: Path) -> str:
    base = Path(template_dir).resolve()
    try:
        return (base.name / path.resolve().relative_to(base)).as_posix()
    except ValueError:
        return path.as_posix()


def _slip_message(slip: ProseSlip, section: str, template_dir: Path) -> str:
    """One slip for the author: the template line behind it, then what to do."""
    printed = slip.printed
    if printed is not None and printed.path and printed.line:
        where = _line_of(printed.path, printed.line, template_dir)
    else:
        where = f"{section} (line {slip.rendered_line} of its rendered text)"
    return f"  - {where}\n    {slip.rule}"


SYNTHETIC_SUBTITLE = "Built from a SYNTHETIC cohort, not the study's patient records"


def front_matter(
    metadata: Mapping[str, Any], date: str, synthetic_cohort: bool, document: str = "manuscript"
) -> str:
    """Pandoc's YAML metadata block: title, authors and the fixed date of the build.

    With the synthetic cohort the subtitle says so, which puts the notice in the
    title block of every output format (HTML, DOCX and PDF alike). The supplement's
    title names the article it belongs to.
    """
    title = metadata["title"]
    block = {
        "title": title if document == "manuscript" else f"{SUPPLEMENT_TITLE}: {title}",
        "author": [author["name"] for author in metadata["authors"]],
        "date": date,
        "lang": "en-GB",
    }
    if synthetic_cohort:
        block["subtitle"] = SYNTHETIC_SUBTITLE
    return "---\n" + yaml.safe_dump(block, sort_keys=True, allow_unicode=True) + "---\n"


def render_manuscript(
    template_dir: Path,
    manuscript: Manuscript,
    *,
    metadata: Mapping[str, Any],
    settings: Mapping[str, Any],
    sources: list[dict] | None = None,
    document: str = "manuscript",
    section_glob: str | None = None,
    annotated: list[str] | None = None,
) -> str:
    """Check, then render every template of ``document``, in order, into one Markdown
    document (the manuscript's ``sections/``, or the ``supplement/``).

    Parameters
    ----------
    template_dir : Path
        Folder holding ``sections/NN-name.md.j2`` (and ``supplement/NN-name.md.j2``).
    manuscript : Manuscript
        Numbers, facts, tables and figures the templates may quote or place.
    metadata : mapping
        Title, authors and affiliations (``templates/metadata.yaml``).
    settings : mapping
        ``date`` (fixed, for reproducible output) and ``synthetic_cohort`` (bool).
    sources : list, optional
        Filled with the template behind each range of lines of the result
        (``template``, ``first_line``, ``last_line``), so later checks can say where a
        problem came from.
    section_glob : str
        Which templates are the sections (the response to reviewers has its own).
    annotated : list, optional
        Filled with one string: the same Markdown, line for line, with each quoted
        registry number as a span naming its key (``[12.3]{.num data-key="..."}``),
        for the HTML's provenance (see manuscript_engine.output.provenance).

    Raises
    ------
    TemplateProblem
        With template, line and text, for a typed number, an unknown key, a syntax
        error, a claim the data do not support, or prose a journal would not print
        (every slip of every section at once).
    """
    names = section_templates(template_dir, document, section_glob)
    if not names:
        raise TemplateProblem(
            "no templates found under "
            f"{template_dir}/{section_glob or DOCUMENT_FOLDERS[document] + '/*.md.j2'}"
        )
    texts = [read_template(Path(template_dir) / name, template_dir) for name in names]
    problems = [
        problem
        for name, source in zip(names, texts, strict=True)
        for problem in lint_source(source, f"{Path(template_dir).name}/{name}")
    ]
    if problems:
        raise TemplateProblem(
            f"{len(problems)} problem(s) in the templates:\n" + "\n".join(map(str, problems))
        )
    shown_in_title_block = {
        "title": metadata.get("title"),
        "subtitle": metadata.get("subtitle"),
        **{f"author {a.get('name')}": a.get("name") for a in metadata.get("authors") or []},
    }
    problems = [
        problem
        for key, text in shown_in_title_block.items()
        for problem in lint_source(
            " ".join(str(text or "").split()), f"{Path(template_dir).name}/metadata.yaml, {key},"
        )
    ]
    if problems:
        raise TemplateProblem("\n".join(map(str, problems)))
    manuscript.placed = placements(template_dir)
    manuscript.document = document
    nouns = Nouns(tuple(nouns_of_templates(texts).items()))
    slips: list[str] = []
    seals = Seals()
    env = build_environment(template_dir, seals)
    env.globals.update(
        manuscript.globals(),
        # Affiliations are addresses (a postcode is no result); any other metadata text
        # is checked like the templates' own.
        meta={**metadata, "affiliations": quoted(metadata.get("affiliations") or {})},
        synthetic_cohort=bool(settings["synthetic_cohort"]),
    )
    parts = [front_matter(metadata, settings["date"], bool(settings["synthetic_cohort"]), document)]
    origins = [f"{Path(template_dir).as_posix()}/metadata.yaml"]
    marked_parts = list(parts)
    for name in names:
        shown = f"{Path(template_dir).name}/{name}"
        try:
            rendered = env.get_template(name).render()
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                f"{template_location(exc, template_dir)}\n  The template is not valid: "
                f"{exc.message}. Check the {{{{ }}}} and {{% %}} brackets on that line."
            ) from None
        except TemplateProblem as exc:
            raise TemplateProblem(f"{template_location(exc, template_dir)}\n  {exc}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateProblem(
                f"{template_location(exc, template_dir)}\n  {exc}. Templates run in a sandbox "
                "and may only quote numbers, facts and metadata."
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(
                f"{template_location(exc, template_dir)}\n  {exc.message}. Use num('key') "
                "for a number; `make numbers` lists the keys."
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(
                f"{template_location(exc, template_dir)}\n  the template '{exc.name}' does not "
                f"exist under {Path(template_dir).name}/. Check the name in the include."
            ) from None
        text = seals.unseal(rendered)
        block = YAML_BLOCK.search(text)
        if block:
            raise TemplateProblem(
                f"{shown} (line {line_at(text, block.start())} of its rendered text): a YAML "
                "metadata block. The title block comes from templates/metadata.yaml and the "
                "build's settings only; write '***' for a horizontal rule."
            )
        prose = seals.prose(rendered)
        forged = FORGED_NUMBER_MARK.search(prose)
        if forged:
            raise TemplateProblem(
                f"{shown} (line {line_at(prose, forged.start())} of its rendered text): "
                f"'{forged.group(0)}'. The class "
                "'num' and the attribute 'data-key' mark the numbers the helpers quote, so "
                "the HTML can say where each came from; a template may not write them. "
                "Quote the number with {{ num('key') }}."
            )
        problems = rendered_problems(rendered, seals, f"{shown} (rendered text)")
        if problems:
            raise TemplateProblem(
                f"{len(problems)} problem(s) in the rendered text of {shown}:\n"
                + "\n".join(map(str, problems))
            )
        plain, spans = seals.spans(rendered)
        slips += [
            _slip_message(slip, shown, template_dir) for slip in prose_slips(plain, spans, nouns)
        ]
        parts.append(plain)
        marked_parts.append(seals.annotated(rendered))
        origins.append(f"{Path(template_dir).as_posix()}/{name}")
    if slips:
        raise TemplateProblem(
            f"The text has {len(slips)} slip(s) of wording that a journal would not print:\n"
            + "\n".join(slips)
            + "\nThe numbers come from the data, so write the words around them to suit any "
            "number: count() gives a count with its noun ('1 patient', 'no patients', "
            "'Thirteen patients' at the start of a sentence)."
        )
    parts = [part.rstrip("\n") + "\n" for part in parts]
    if annotated is not None:
        annotated.append("\n".join(part.rstrip("\n") + "\n" for part in marked_parts))
    if sources is not None:
        first = 1
        for origin, part in zip(origins, parts, strict=True):
            last = first + part.count("\n") - 1
            sources.append({"template": origin, "first_line": first, "last_line": last})
            first = last + 2  # parts are joined by a blank line
    return "\n".join(parts)


def line_at(text: str, offset: int) -> int:
    """The line (from 1) of ``text`` holding character ``offset``."""
    return text.count("\n", 0, offset) + 1
