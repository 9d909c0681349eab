"""Rendering the manuscript's Markdown from the Jinja templates.

Templates run in a sandbox with ``StrictUndefined``: a missing value stops the build
with the template's name and line, never a blank in the paper. Jinja's comment
delimiters are ``{## ... ##}`` so that pandoc attributes such as ``{#tbl:baseline}``
pass through untouched.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateProblem
from .template_helpers import Manuscript, placement_order
from .template_lint import lint_template

SECTION_GLOB = "sections/*.md.j2"


def build_environment(template_dir: Path) -> SandboxedEnvironment:
    """A sandboxed Jinja environment that refuses undefined values."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        comment_start_string="{##",
        comment_end_string="##}",
    )


def section_templates(template_dir: Path) -> list[str]:
    """Section templates in the order of their numeric prefix (``01-``, ``02-``, ...)."""
    return sorted(
        p.relative_to(template_dir).as_posix() for p in Path(template_dir).glob(SECTION_GLOB)
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
    path = Path(filename)
    if not path.is_absolute():
        path = Path(template_dir) / path
    shown = _display_path(path, template_dir)
    try:
        line = path.read_text(encoding="utf-8").splitlines()[lineno - 1].strip()
    except (OSError, IndexError, TypeError):
        return f"{shown} line {lineno}"
    return f"{shown} line {lineno}: {line}"


def _display_path(path: Path, template_dir: Path) -> str:
    base = Path(template_dir).resolve()
    try:
        return (base.name / path.resolve().relative_to(base)).as_posix()
    except ValueError:
        return path.as_posix()


SYNTHETIC_SUBTITLE = "Built from a SYNTHETIC cohort, not the study's patient records"


def front_matter(metadata: Mapping[str, Any], date: str, synthetic_cohort: bool) -> str:
    """Pandoc's YAML metadata block: title, authors and the fixed date of the build.

    With the synthetic cohort the subtitle says so, which puts the notice in the
    title block of every output format (HTML, DOCX and PDF alike).
    """
    block = {
        "title": metadata["title"],
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
    metadata: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> str:
    """Check, then render every section template, in order, into one Markdown document.

    Parameters
    ----------
    template_dir : Path
        Folder holding ``sections/NN-name.md.j2``.
    manuscript : Manuscript
        Numbers, facts, tables and figures the templates may quote or place.
    metadata : mapping
        Title, authors and affiliations (``templates/metadata.yaml``).
    settings : mapping
        ``date`` (fixed, for reproducible output) and ``synthetic_cohort`` (bool).

    Raises
    ------
    TemplateProblem
        With template, line and text, for a typed number, an unknown key, a syntax
        error or a claim the data do not support.
    """
    names = section_templates(template_dir)
    if not names:
        raise TemplateProblem(f"no section templates found under {template_dir}/{SECTION_GLOB}")
    problems = [
        problem
        for name in names
        for problem in lint_template(Path(template_dir) / name, f"{Path(template_dir).name}/{name}")
    ]
    if problems:
        raise TemplateProblem(
            f"{len(problems)} problem(s) in the templates:\n" + "\n".join(map(str, problems))
        )
    sources = [(Path(template_dir) / name).read_text(encoding="utf-8") for name in names]
    manuscript.order = placement_order(sources)
    env = build_environment(template_dir)
    env.globals.update(
        manuscript.globals(), meta=metadata, synthetic_cohort=bool(settings["synthetic_cohort"])
    )
    parts = [front_matter(metadata, settings["date"], bool(settings["synthetic_cohort"]))]
    for name in names:
        try:
            parts.append(env.get_template(name).render())
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
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)
