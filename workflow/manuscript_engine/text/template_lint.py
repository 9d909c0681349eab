"""No typed numbers, no hand-typed significance words: in the source and in what renders.

Digits belong in the data, the registry or ``config/study_facts.yaml``; prose that
types one can go stale without anyone noticing. Jinja expressions, statements and
comments, citation keys (``[@gu2014]``), pandoc attributes (``{#tbl:x}``) and link
targets are not prose and are not checked.

Checking the source is not enough: ``{{ "77.7" }}``, ``{{ 40 + 2 }}`` or an include
also put digits into the prose. So every value a helper returns is *marked*
(:class:`Quoted`, :class:`Verdict`), and each marked value reaches the rendered text
inside a seal (:class:`Seals`): invisible delimiters and a random token, recorded
with its text, that a template cannot forge. The rendered text is then checked with the sealed
values taken out (:meth:`Seals.prose`); whatever else carries a digit, or a
significance word, was typed or computed by the template and fails the build.

Each seal also records where its value was printed (:class:`Printed`: the template,
the line of its ``{{ }}`` and the helper call), so that a later check of the rendered
text (:mod:`manuscript_engine.text.prose_lint`) can name the line behind any number.
"""

from __future__ import annotations

import inspect
import re
import secrets
from dataclasses import dataclass, field

MARKDOWN_STRUCTURE = (
    r"@[\w:-]+"  # citation keys (unknown keys fail the document check); not their text
    # pandoc attributes, only as pandoc reads them: {#tbl:x}, {.class}, {key="value"}
    r'|\{\s*(?:(?:[#.][A-Za-z][\w:.-]*|[A-Za-z][\w-]*=(?:"[^"]*"|[^\s"}]+))\s*)+\}'
    r'|\]\(\s*<?[^\s()<>]*>?(?:\s+"[^"]*")?\s*\)'  # link targets (no spaces but a title)
)
NOT_PROSE = re.compile(
    r"\{\{.*?\}\}"  # Jinja expressions
    r"|\{%.*?%\}"  # Jinja statements
    r"|\{##.*?##\}|" + MARKDOWN_STRUCTURE,  # Jinja comments
    re.DOTALL,
)
RENDERED_NOT_PROSE = re.compile(MARKDOWN_STRUCTURE, re.DOTALL)
"""In rendered text there is no Jinja left: braces that remain are printed as they are."""
DIGIT = re.compile(
    r"[\d\u00b2\u00b3\u00b9\u00bc-\u00be\u2070\u2074-\u2079\u2080-\u2089\u2150-\u2189"
    r"\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3007\u3021-\u3029\u3248-\u324f"
    r"\u3251-\u325f\u3280-\u3289\u32b1-\u32bf]"
)
"""A numeral in any script: decimal digits (\\d is Unicode-wide: ٧, 𝟕, ７), superscripts,
fractions, Roman and circled numerals. Each would put a typed number in front of a reader."""
SIGNIFICANCE = re.compile(r"\b(in|non-?)?significan(t|tly|ce)\b", re.IGNORECASE)
JOINERS = re.compile(r"&[A-Za-z0-9#]+;|[*_~^\[\]{}\u00ad\u200b-\u200d\u2060\ufeff]")
"""Markup and invisible characters a word can be split by and still read whole
(``signi*f*icant``, ``signif&shy;icant``, ``signif[]{}icant``)."""


@dataclass(frozen=True)
class LintProblem:
    template: str
    line: int
    text: str
    rule: str

    def __str__(self) -> str:
        return f"{self.template} line {self.line}: {self.rule}\n    {self.text}"


def mask(source: str, structure: re.Pattern = NOT_PROSE) -> str:
    """The source with every non-prose region blanked out (line breaks kept)."""
    return structure.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)


TYPED = ("is typed into the prose", "is typed by hand")
"""How a problem in template source is described (a number, a significance word)."""
PRINTED = ("is printed by the template", "is typed by hand")
RENDERED = (
    "reaches the text without coming from the data (an expression, a string or an include made it)",
    "reaches the text without coming from the data",
)


def lint_source(
    source: str, shown_as: str, masked: str | None = None, how: tuple[str, str] = TYPED
) -> list[LintProblem]:
    """Typed digits and significance words in ``source`` (``masked``: its prose view).

    ``how`` says how the number and the word got there, for the message.
    """
    problems = []
    original = source.splitlines()
    for number, line in enumerate((mask(source) if masked is None else masked).splitlines(), 1):
        digit = DIGIT.search(line)
        if digit:
            start = line.rfind(" ", 0, digit.start()) + 1
            token = line[start:].split(" ", 1)[0]
            problems.append(
                LintProblem(
                    shown_as,
                    number,
                    original[number - 1].strip(),
                    f"the number '{token}' {how[0]}. Quote it from the data with "
                    "{{ num('key') }} (`make numbers` lists the keys), or from "
                    "config/study_facts.yaml with {{ fact('name') }}.",
                )
            )
        word = SIGNIFICANCE.search(line) or SIGNIFICANCE.search(JOINERS.sub("", line))
        if word:
            problems.append(
                LintProblem(
                    shown_as,
                    number,
                    original[number - 1].strip(),
                    f"'{word.group(0)}' {how[1]}. Let the data choose the words with "
                    "{{ compare('key') }}, or check your wording with {{ claim('key', '...') }}.",
                )
            )
    return problems


# --------------------------------------------------------------------------- marked values
class Quoted(str):
    """Text a helper computed (a number, a fact, a table): its digits are not typed.

    Only text made by :func:`issued` counts: a copy the template derives from it keeps
    the type (the sandbox's ``.format()`` does) but not the mark, and is checked.
    ``call`` is the helper call that made it (None for metadata), for messages.
    """

    issued_by: object = None
    call: HelperCall | None = None
    annotated: str | None = None
    """The same text with each registry number marked by its key (HTML provenance), or
    None when it quotes no registry number."""


ISSUER = object()
"""Private to the engine; the sandbox lets no template set an attribute to it."""


def issued(value: str, kind: type[Quoted] | None = None, call: HelperCall | None = None) -> Quoted:
    """``value`` as engine-made text of ``kind`` (:class:`Quoted` by default)."""
    text = (kind or Quoted)(value)
    text.issued_by = ISSUER
    text.call = call
    return text


def is_issued(value: object) -> bool:
    return isinstance(value, Quoted) and value.issued_by is ISSUER


class Verdict(Quoted):
    """Text whose wording the data chose (compare, claim): significance words allowed."""


def quoted(value):
    """``value`` with every string inside marked as :class:`Quoted` (metadata, facts)."""
    if isinstance(value, str) and not isinstance(value, Quoted):
        return issued(value)
    if isinstance(value, dict):
        return {key: quoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [quoted(item) for item in value]
    return value


@dataclass(frozen=True)
class HelperCall:
    """A helper call as a template wrote it: ``num('flow.included.total.n')``."""

    helper: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()

    @property
    def key(self) -> str | None:
        """The first argument, when it is a string (the registry key of most helpers)."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else None

    def __str__(self) -> str:
        shown = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.helper}({', '.join(shown)})"


@dataclass(frozen=True)
class Printed:
    """Where a sealed value reached the text: the template file (``path``, as Jinja
    loaded it) and the line of the ``{{ }}`` that printed it, and the helper call
    behind it (None for metadata). Unknown parts are None."""

    path: str | None = None
    line: int | None = None
    call: HelperCall | None = None


@dataclass(frozen=True)
class Span:
    """A sealed value's place in the text as the reader gets it (``start:end``)."""

    start: int
    end: int
    printed: Printed = field(default_factory=Printed)


OPEN, SEP, CLOSE = "\ue000", "\ue001", "\ue002"
SEALED = re.compile(f"{OPEN}([nv]){SEP}([^{OPEN}{SEP}{CLOSE}]*){SEP}([0-9a-f]{{16}}){CLOSE}")
DELIMITERS = re.compile(f"[{OPEN}{SEP}{CLOSE}]")


class Seals:
    """Seals for one rendering.

    Each seal carries a random token that this object records with the sealed kind,
    text and place (:class:`Printed`); a token it did not issue, or one glued to other
    text, is no seal. The tokens live only as long as the object does.
    """

    def __init__(self) -> None:
        self._issued: dict[str, tuple[str, str, Printed]] = {}
        self._annotated: dict[str, str] = {}

    def seal(self, value: Quoted, printed: Printed | None = None) -> str:
        kind = "v" if isinstance(value, Verdict) else "n"
        text = DELIMITERS.sub("", str(value))
        token = secrets.token_hex(8)
        while token in self._issued:
            token = secrets.token_hex(8)
        self._issued[token] = (kind, text, printed or Printed(call=value.call))
        if getattr(value, "annotated", None) and value.issued_by is ISSUER:
            self._annotated[token] = value.annotated
        return f"{OPEN}{kind}{SEP}{text}{SEP}{token}{CLOSE}"

    def _genuine(self, match: re.Match) -> bool:
        kind, text, token = match.groups()
        record = self._issued.get(token)
        return record is not None and record[:2] == (kind, text)

    def prose(self, text: str) -> str:
        """``text`` as the checks see it: same length and lines, sealed values blanked.

        A sealed number keeps its words (a fact may not say "significant") but not
        its digits; a sealed verdict is blanked whole. Forged seals stay as they are.
        """

        def blank(match: re.Match) -> str:
            if not self._genuine(match):
                return match.group(0)
            kind, inner = match.group(1), match.group(2)
            shown = re.sub(r"[^\n]", " ", inner) if kind == "v" else DIGIT.sub(" ", inner)
            return " " * 3 + shown + " " * (len(match.group(0)) - 3 - len(inner))

        return SEALED.sub(blank, text)

    def unseal(self, text: str) -> str:
        """The rendered text as the reader gets it: seals removed, values kept."""
        return DELIMITERS.sub("", SEALED.sub(lambda m: m.group(2), text))

    def annotated(self, text: str) -> str:
        """:meth:`unseal`'s text with each genuinely sealed registry number in its marked
        form (a span naming its key, see template_helpers.quote_number); everything
        else as :meth:`unseal` gives it."""

        def shown(match: re.Match) -> str:
            token = match.group(3)
            if self._genuine(match) and token in self._annotated:
                return self._annotated[token]
            return match.group(2)

        return DELIMITERS.sub("", SEALED.sub(shown, text))

    def spans(self, text: str) -> tuple[str, list[Span]]:
        """:meth:`unseal`'s text, and where in it each genuinely sealed value lies."""
        parts: list[str] = []
        spans: list[Span] = []
        length = position = 0
        for match in SEALED.finditer(text):
            before = DELIMITERS.sub("", text[position : match.start()])
            inner = match.group(2)
            parts += [before, inner]
            length += len(before)
            if self._genuine(match):
                spans.append(Span(length, length + len(inner), self._issued[match.group(3)][2]))
            length += len(inner)
            position = match.end()
        parts.append(DELIMITERS.sub("", text[position:]))
        return "".join(parts), spans


def rendered_problems(
    text: str, seals: Seals, shown_as: str, how: tuple[str, str] = RENDERED
) -> list[LintProblem]:
    """Typed digits and significance words in rendered text, sealed values aside.

    Line numbers are those of the rendered text (a seal never adds or removes a line).
    """
    view = mask(seals.prose(text), RENDERED_NOT_PROSE)
    return lint_source(seals.unseal(text), shown_as, masked=view, how=how)


def printing_place() -> tuple[str | None, int | None]:
    """The template file and line whose ``{{ }}`` is being printed (Jinja's own tracebacks
    find them the same way: the compiled template's frame and its line map)."""
    frame = inspect.currentframe()
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return (
                template.filename or template.name,
                template.get_corresponding_lineno(frame.f_lineno),
            )
        frame = frame.f_back
    return None, None
