"""Where a number stands in the revised manuscript: its section and line.

Lines are those of ``results/manuscript/manuscript.pdf`` as laid out, counted
continuously from the first line of the first page: every line of text PDFium reads
(title, headings, paragraphs, captions and table rows alike). The DOCX numbers its lines
continuously too, but Word lays out the page itself, so its count can differ by a few
lines; the PDF's layout is the build's own and gives the same count on every machine.
The section is the top-level heading of the template that quotes the number.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from manuscript_engine.core.errors import TemplateProblem

HEADING = re.compile(r"^#\s+(.+?)(\s*\{[^}]*\})?\s*$")


def pdf_lines(pdf: Path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        lines = []
        for page in document:
            text = page.get_textpage().get_text_range()
            lines += [" ".join(line.split()) for line in text.splitlines()]
        return [line for line in lines if line]
    finally:
        document.close()


def section_titles(markdown: str, sections: list[dict]) -> dict[str, str]:
    """Each section template's first top-level heading, by template path."""
    lines = markdown.splitlines()
    titles = {}
    for part in sections:
        for line in lines[part["first_line"] - 1 : part["last_line"]]:
            match = HEADING.match(line)
            if match:
                titles[Path(part["template"]).name] = match.group(1).strip()
                break
    return titles


@dataclass
class Locator:
    lines: list[str]
    titles: dict[str, str]
    """Section title by template file name."""

    def where(self, printed: str, template: str) -> str:
        """``Results, line 42``: the first line of the template's section printing it."""
        title = self.titles.get(Path(template).name)
        if title is None:
            raise TemplateProblem(f"{template} has no top-level heading to name its section")
        starts = [i for i, line in enumerate(self.lines) if line == title]
        if not starts:
            raise TemplateProblem(f"the heading '{title}' is not in the PDF")
        following = [
            i for i, line in enumerate(self.lines) if i > starts[0] and line in self.titles.values()
        ]
        end = following[0] if following else len(self.lines)
        joined, offsets = "", []
        for line in self.lines[starts[0] : end]:
            offsets.append(len(joined))
            joined += line + " "
        found = joined.find(" ".join(printed.split()))
        if found < 0:
            raise TemplateProblem(f"'{printed}' is not printed in the section {title} of the PDF")
        return f"{title}, line {starts[0] + bisect.bisect_right(offsets, found)}"
