"""Prose that reads like a journal's: checked on the rendered text of each section.

Numbers come from the data, so a sentence written around ``{{ num('key') }}`` can read
well with one cohort and wrongly with the next ("1 patients", or "13 patients had …"
opening a sentence). This check reads each section as rendered and refuses:

- a sentence that opens with a numeral (``13 patients had no MRI.``, ``-1.7 points
  …``, a year too): journals spell the number out or reword;
- a count whose noun disagrees with it: ``1 patients``, ``1 (1.4%) vertebrae``,
  ``1 ICU patients`` (capitalised abbreviations and a few adjectives such as "more"
  may stand between), and ``2 patient`` or ``0 patient`` where the noun ends its
  phrase (``2 patient.``, ``2 patient with``; ``a 2 year follow-up`` and ``13 patient
  records`` are fine);
- a count whose verb disagrees with it where the count is the subject (``, 1 were
  unchanged``, ``and 3 was lost``; ``scores of 1 were`` is fine).

The nouns are those of :data:`COUNTABLE` (countable nouns common in clinical papers,
their plurals by the regular rule) and :data:`IRREGULAR`, and every noun the templates
give ``count()``. Nouns that are verbs too (:data:`VERB_LIKE`: "1 reports that") are
judged only before punctuation.

Not prose, so not read: tables (their captions and notes are read), headings, code,
citations and cross-references, link targets, pandoc attributes (a figure's alt text
included) and text from ``templates/metadata.yaml`` (an address is no sentence). A
number after a label is no count (``grade 1 patients``, ``Table 2``, ``month 1``), nor
one after a minus sign, a range dash, ``×`` or ``±`` (``2 × 2 tables``); a sentence may
open with a word that holds a digit (``T12``, ``L1``) or with a sign that is not a
number's (``> 1 year: …`` in a table's note).

Every number in the text was printed by a helper (typed digits are refused before), so
each slip is reported at the template line of the ``{{ }}`` that printed its number,
with a fix that depends on where the words come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from manuscript_engine.text.template_lint import RENDERED_NOT_PROSE, HelperCall, Printed, Span


# --------------------------------------------------------------------------- the words
def _words(text: str) -> list[str]:
    return text.split()


COUNTABLE = _words(
    "patient participant subject case control volunteer individual adult infant "
    "respondent survivor death event complication procedure operation intervention "
    "treatment session injection dose cycle course level segment lesion tumour tumor "
    "fracture bone site node biopsy scan image visit admission readmission relapse "
    "recurrence infection hospital centre center clinic surgeon physician radiologist "
    "operator observer reader rater arm group cohort study trial comparison test "
    "measurement variable outcome item question point score day week month year hour "
    "minute night episode needle catheter implant screw device sample specimen record "
    "report article author reviewer family relative finding error check"
) + ["time point", "percentage point", "vertebral body"]
"""Countable nouns whose plural follows the rule (:func:`regular_plural`)."""

VERB_LIKE = set(
    _words(
        "report test check score point record visit study control scan image question "
        "sample relapse dose cycle course level group arm centre center author needle screw"
    )
)
"""Nouns that are verbs too (``1 reports that``, ``2 report that``): a count before
them is judged only where the word ends its phrase with punctuation (``1 points.``)."""

IRREGULAR = {
    "vertebra": ("vertebrae",),
    "woman": ("women",),
    "man": ("men",),
    "child": ("children",),
    "person": ("people", "persons"),
    "criterion": ("criteria",),
    "metastasis": ("metastases",),
    "analysis": ("analyses",),
    "diagnosis": ("diagnoses",),
    "cannula": ("cannulae", "cannulas"),
    "embolus": ("emboli",),
    "foot": ("feet",),
    "tooth": ("teeth",),
    "mouse": ("mice",),
    "phenomenon": ("phenomena",),
}

LABELS = set(
    _words(
        "grade grades stage stages type types class classes level levels phase phases "
        "step steps table tables figure figures fig figs section sections appendix "
        "supplement item items version visit visits day days week weeks month months "
        "year years cycle cycles dose doses arm group groups cohort model models "
        "equation eq chapter part category categories criterion study trial patient case "
        "no number"
    )
)
"""Words after which a number is a label, not a count (``grade 1 patients``)."""

ARTICLES = {"a", "an", "each", "every", "per", "one", "any"}
"""Before a number they make it part of a modifier: ``a 2 year follow-up``."""

ADJECTIVES = set(
    _words(
        "more further other additional new consecutive eligible evaluable remaining "
        "separate different distinct single"
    )
)
"""Words that may stand between a count and its noun (``1 more patients``)."""

ENDS_PHRASE = set(
    _words(
        "with without in at on of for from to by after before during within among and or "
        "but who whom whose which that had have has was were is are did do does could "
        "would should might may will can received underwent developed showed died "
        "recovered improved deteriorated remained required needed experienced presented "
        "completed chose gained met lived survived responded treated"
    )
)
"""Words after which a noun has ended its phrase (``2 patient with``, not ``2 patient
records``)."""

SUBJECT_BEFORE = {",", ";", ":", "(", "and", "but", "or", "nor", "while", "whereas", "whom"}
"""What precedes a count that is the subject of its clause (``, 1 were unchanged``)."""
VERBS = {
    "was": "singular",
    "is": "singular",
    "has": "singular",
    "does": "singular",
    "were": "plural",
    "are": "plural",
    "have": "plural",
    "do": "plural",
}

VERB_PAIRS = {
    verb: pair
    for pair in (("was", "were"), ("is", "are"), ("has", "have"), ("does", "do"))
    for verb in pair
}

ABBREVIATIONS = set(
    _words(
        "e.g i.e al fig figs ref refs no nos vs cf approx ca dr prof eq eqs vol p pp inc "
        "ltd co st mr mrs ms ed eds suppl"
    )
)
"""Words whose full stop does not end a sentence (``Fig. 2``, ``et al. 2019``)."""

OPENERS = "*_\"'“‘(["
CLOSERS = "*_\"'”’)]"
SIGNS = "-−+±"


def regular_plural(noun: str) -> str:
    """``patient`` → ``patients``, ``biopsy`` → ``biopsies``, ``time point`` → ``time points``."""
    head, _, last = noun.rpartition(" ")
    if re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    elif re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


COUNT_CALL = re.compile(
    r"""\bcount\(\s*(['"])(?:(?!\1).)*\1\s*,\s*(['"])((?:(?!\2).)+)\2"""
    r"""(?:\s*,\s*(?:plural\s*=\s*)?(['"])((?:(?!\4).)+)\4)?"""
)


def nouns_of_templates(sources: list[str]) -> dict[str, tuple[str, ...]]:
    """The nouns the templates give ``count()`` (singular → plural, as count prints it)."""
    found: dict[str, tuple[str, ...]] = {}
    for source in sources:
        for match in COUNT_CALL.finditer(source):
            singular, plural = match.group(3), match.group(5)
            found[singular.lower()] = ((plural or f"{singular}s").lower(),)
    return found


@dataclass(frozen=True)
class Nouns:
    """Countable nouns: each form (lower case) with its number, and its other form."""

    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @cached_property
    def forms(self) -> dict[str, tuple[str, str]]:
        """form → ("singular" | "plural", the singular). A form that is both is left out;
        a template's noun that is a known plural (``count(key, "patients")``) is no
        singular."""
        pairs = {noun: (regular_plural(noun),) for noun in COUNTABLE}
        pairs.update(IRREGULAR)
        known_plurals = {plural for plurals in pairs.values() for plural in plurals}
        pairs.update((s, p) for s, p in self.extra if s not in known_plurals)
        forms: dict[str, tuple[str, str]] = {}
        clash: set[str] = set()
        for singular, plurals in pairs.items():
            for form, number in [(singular, "singular")] + [(p, "plural") for p in plurals]:
                if form in forms and forms[form][0] != number:
                    clash.add(form)
                forms[form] = (number, singular)
        return {form: meaning for form, meaning in forms.items() if form not in clash}

    @cached_property
    def pattern(self) -> re.Pattern:
        words = sorted(self.forms, key=len, reverse=True)
        spelt = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        return re.compile(rf"(?:{spelt})(?![\w'’-])", re.IGNORECASE)

    def at(self, text: str, position: int) -> tuple[str, str, str] | None:
        """(form as printed, its number, its singular) of a noun starting at ``position``."""
        match = self.pattern.match(text, position)
        if not match:
            return None
        number, singular = self.forms[" ".join(match.group(0).lower().split())]
        return match.group(0), number, singular

    def plural(self, singular: str) -> str:
        return next(
            (form for form, (n, s) in self.forms.items() if n == "plural" and s == singular),
            regular_plural(singular),
        )


# --------------------------------------------------------------------------- what is prose
FENCE = re.compile(r"^\s*(```|~~~)")
NOT_PROSE_LINE = re.compile(
    r"^\s{0,3}#{1,6}(\s|$)"  # a heading (its number is the heading's)
    r"|^\s*\||^\s*\+[-=:+]"  # a row or border of a table
    r"|^\s*:::"  # a div's fence
    r"|^\s*(---+|===+|\*\*\*+)\s*$"  # a rule, a setext underline
)
BLOCK_MARKER = re.compile(r"^(\s*)(Table:\s|:\s|[-*+]\s+|#[.)]\s+|\d+[.)]\s+|>\s?)")
"""Where a block's text starts after its marker: a table's caption, a list item, a quote."""
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
ANCHOR = re.compile(r"\[\]\{#[A-Za-z][\w:.-]*\}")
"""An empty span with an id (a checklist marker): invisible, so the sentence after it
starts where it would without it."""


def prose_view(text: str) -> tuple[str, set[int]]:
    """``text`` with all but its prose blanked (same length and lines), and where a block
    of prose starts after a marker (a list item, a table's caption)."""
    lines = text.split("\n")
    shown: list[str] = []
    starts: set[int] = set()
    offset = 0
    in_code = False
    for line in lines:
        if FENCE.match(line):
            in_code = not in_code
            view = ""
        elif in_code or NOT_PROSE_LINE.match(line):
            view = ""
        else:
            view = line
            marker = BLOCK_MARKER.match(view)
            if marker:
                view = " " * marker.end() + view[marker.end() :]
                starts.add(offset + marker.end())
            view = view.replace("![", "  ")
        view = view.ljust(len(line))
        shown.append(view)
        offset += len(line) + 1
    blank = "\n".join(shown)
    for pattern in (INLINE_CODE, ANCHOR, RENDERED_NOT_PROSE):
        blank = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), blank)
    return blank, starts


# --------------------------------------------------------------------------- the checks
@dataclass(frozen=True)
class ProseSlip:
    """A slip in the rendered text of a section."""

    printed: Printed | None
    """Where the number was printed (None: not by a helper)."""
    rendered_line: int
    """The line of the section's rendered text."""
    words: str
    """The words as the reader would get them (``1 patients``)."""
    rule: str
    """What is wrong and what to do."""


NUMBER = re.compile(r"(?<![\w.,/^:])(?:\d{1,3}(?:,\d{3})+|\d+)(?![\w%°′″'’]|[.,·:/]\d)")
OPENING = re.compile(rf"(?<![\w.,/^])[{SIGNS}]?\d")
WORD_BEFORE = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*|[^\w\s])\s*$")
PARENTHESIS = re.compile(r"[ \t]*\([^()\n]*\)")
GAP = re.compile(r"[ \t]+(?:\n[ \t]*)?|[ \t]*\n[ \t]*")
MODIFIER = re.compile(r"(?=[A-Z0-9+/&-]*[A-Z])[A-Z0-9][A-Z0-9+/&-]+(?![\w+/&-])")
WORD = re.compile(r"[^\W\d_]+")
TOKEN = re.compile(rf"[{SIGNS}]?[\d.,]*\d")
NOT_COUNTED_AFTER = set("×x±−–—-/")
"""After these a number is no count of its own: a dimension (2 × 2 tables), a spread
(5 ± 1 points), a sign or a range (1–2 patients)."""
YEAR = re.compile(r"1[89]\d\d|20\d\d")


@dataclass(frozen=True)
class _Found:
    """A slip as found: its kind ("opening", "noun", "verb") and where its words are."""

    kind: str
    start: int
    end: int
    words: str
    sentence: str = ""
    singular: str | None = None
    plural: str | None = None
    adjacent: bool = False
    """Whether the noun follows the number (and its percentage) directly."""


def prose_slips(text: str, spans: list[Span], nouns: Nouns | None = None) -> list[ProseSlip]:
    """Every slip in ``text`` (a section's rendered text; ``spans``: its sealed values)."""
    nouns = nouns or Nouns()
    slips = []
    for found in _find(text, nouns):
        span = next((s for s in spans if s.start <= found.start < s.end), None)
        if span is not None and span.printed.call is None:
            continue  # text of templates/metadata.yaml (an address), not a sentence
        slips.append(
            ProseSlip(
                span.printed if span else None,
                text.count("\n", 0, found.start) + 1,
                found.words,
                _message(found, span),
            )
        )
    return slips


def _find(text: str, nouns: Nouns) -> list[_Found]:
    view, starts = prose_view(text)
    found: list[_Found] = []
    for match in OPENING.finditer(view):
        if _opens_sentence(view, match.start(), starts):
            token = TOKEN.match(view, match.start()).group(0)
            noun = _noun_after(view, match.start() + len(token), nouns)
            singular = noun[2] if noun else None
            found.append(
                _Found(
                    "opening",
                    match.start(),
                    match.start() + len(token),
                    token,
                    sentence=_sentence(text, match.start()),
                    singular=singular,
                    plural=nouns.plural(singular) if singular else None,
                )
            )
    for match in NUMBER.finditer(view):
        value = int(match.group(0).replace(",", ""))
        before = _word_before(view, match.start(), starts)
        if before is not None and (before.lower() in LABELS or before in NOT_COUNTED_AFTER):
            continue
        position = match.end()
        parenthesis = PARENTHESIS.match(view, position)
        if parenthesis:
            position = parenthesis.end()
        verb = _verb_after(view, position)
        subject = before is None or before.lower() in SUBJECT_BEFORE
        counted = subject and value != 0 and not YEAR.fullmatch(match.group(0))
        if verb and counted and VERBS[verb[0].lower()] != ("singular" if value == 1 else "plural"):
            words = " ".join(view[match.start() : verb[1]].split())
            found.append(_Found("verb", match.start(), verb[1], words))
        noun = _noun_after(view, position, nouns)
        if noun is None:
            continue
        form, number, singular, end = noun
        strict = singular in VERB_LIKE
        if value == 1:
            disagree = number == "plural" and (not strict or _phrase_ends(view, end, strict))
        else:
            disagree = (
                number == "singular"
                and (before or "").lower() not in ARTICLES
                and _phrase_ends(view, end, strict)
            )
        if disagree:
            found.append(
                _Found(
                    "noun",
                    match.start(),
                    end,
                    " ".join(view[match.start() : end].split()),
                    singular=singular,
                    plural=nouns.plural(singular),
                    adjacent=end - len(form) == GAP.match(view, position).end(),
                )
            )
    return sorted(found, key=lambda f: f.start)


def _opens_sentence(view: str, position: int, starts: set[int]) -> bool:
    """Whether the text at ``position`` is the first of a sentence."""
    j = position
    while True:
        if j == 0 or j in starts:
            return True
        c = view[j - 1]
        if c in " \t" or c in OPENERS:
            j -= 1
            continue
        if c == "\n":
            line_start = view.rfind("\n", 0, j - 1) + 1
            if not view[line_start : j - 1].strip():
                return True  # a new paragraph (a heading or a table before it included)
            j -= 1
            continue
        break
    k = j
    while k > 0 and view[k - 1] in CLOSERS:
        k -= 1
    if k == 0 or view[k - 1] not in ".!?":
        return False
    word = re.search(r"([\w.]*)$", view[: k - 1]).group(1).lower()
    return word not in ABBREVIATIONS


def _word_before(view: str, position: int, starts: set[int]) -> str | None:
    """The word or sign before ``position`` in its paragraph (None at its start)."""
    j = position
    while j > 0 and view[j - 1] in " \t\n" and j not in starts:
        if view[j - 1] == "\n":
            line_start = view.rfind("\n", 0, j - 1) + 1
            if not view[line_start : j - 1].strip():
                return None
        j -= 1
    if j == 0 or j in starts:
        return None
    match = WORD_BEFORE.search(view[max(0, j - 40) : j])
    return match.group(1) if match else None


def _verb_after(view: str, position: int) -> tuple[str, int] | None:
    gap = GAP.match(view, position)
    if not gap:
        return None
    word = WORD.match(view, gap.end())
    if word and word.group(0).lower() in VERBS and not _glued(view, word.end()):
        return word.group(0), word.end()
    return None


def _noun_after(view: str, position: int, nouns: Nouns) -> tuple[str, str, str, int] | None:
    """(form, number, singular, end) of a noun after a count, past capitalised
    abbreviations and a few adjectives (``1 ICU patients``, ``1 more patients``)."""
    for _ in range(3):
        gap = GAP.match(view, position)
        if not gap:
            return None
        noun = nouns.at(view, gap.end())
        if noun:
            form, number, singular = noun
            return form, number, singular, gap.end() + len(form)
        modifier = MODIFIER.match(view, gap.end())
        word = WORD.match(view, gap.end())
        if modifier:
            position = modifier.end()
        elif word and word.group(0).lower() in ADJECTIVES and not _glued(view, word.end()):
            position = word.end()
        else:
            return None
    return None


def _glued(view: str, end: int) -> bool:
    return end < len(view) and (view[end].isalnum() or view[end] in "-'’")


def _phrase_ends(view: str, end: int, strict: bool = False) -> bool:
    """Whether a noun ending at ``end`` ends its phrase: punctuation, or (unless
    ``strict``) a word that cannot follow a head noun's modifier (``2 patient with``,
    not ``2 patient records``)."""
    rest = view[end:].lstrip(" \t")
    if rest.startswith("\n"):  # a line break is a space, a blank line ends the paragraph
        rest = rest[1:].lstrip(" \t") or "\n"
    if not rest or rest[0] in ".,;:!?)]\n(":
        return True
    word = WORD.match(rest)
    return not strict and bool(word) and word.group(0).lower() in ENDS_PHRASE


def _sentence(text: str, position: int, limit: int = 70) -> str:
    end = re.search(r"[.!?](\s|$)|\n\s*\n", text[position:])
    sentence = " ".join(text[position : position + (end.start() + 1 if end else limit)].split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


# --------------------------------------------------------------------------- the messages
def _message(found: _Found, span: Span | None) -> str:
    """What is wrong, then what to do, for a clinician: where the words come from decides
    the fix (the template's own words, a helper's arguments, a study fact, the build)."""
    call = span.printed.call if span else None
    if found.kind == "opening":
        what = (
            f'the sentence opens with the number {found.words} ("{found.sentence}"); a '
            "journal does not open a sentence with a numeral."
        )
        inside = span is not None and found.start > span.start
    elif found.kind == "noun":
        what = (
            f"'{found.words}': the count and its noun disagree (1 {found.singular}, "
            f"2 {found.plural})."
        )
        inside = span is not None and found.end <= span.end
    else:
        one, more = VERB_PAIRS[found.words.split()[-1].lower()]
        what = f"'{found.words}': the count and its verb disagree ('1 {one}', '2 {more}')."
        inside = span is not None and found.end <= span.end
    if call is None:
        return f"{what} Reword the sentence."
    if inside and call.helper == "fact":
        return (
            f"{what} The words are the study fact '{call.key}': reword it in "
            "config/study_facts.yaml, or the sentence around it."
        )
    if inside and not (call.helper == "count" and found.kind == "noun"):
        return (
            f"{what} These words are made by the build ({call}), not written in the "
            "template: report it to whoever maintains the analysis."
        )
    return f"{what} {_fix(found, call)}"


def _fix(found: _Found, call: HelperCall) -> str:
    key = _count_key(call)
    if found.kind == "opening":
        if call.helper == "count":
            args = ", ".join(repr(a) for a in call.args)
            return (
                f"Add opens_sentence=True, {{{{ count({args}, opens_sentence=True) }}}}, which "
                "spells the number out, or reword so that the sentence opens with a word."
            )
        if call.helper == "num" and found.singular:
            return (
                f"Write {_count_call(key, found.singular, found.plural, opens=True)} in place "
                f"of the number and its noun, which spells it out ('Thirteen {found.plural}'), "
                "or reword so that the sentence opens with a word ('In all, …')."
            )
        return f"Reword so that the sentence opens with a word, with {call} later in it."
    if found.kind == "noun":
        if call.helper == "count":
            return (
                f"The noun comes from {call}: give count() the singular and the plural, "
                f"{_count_call(key, found.singular, found.plural)}."
            )
        if call.helper == "num" and found.adjacent:
            return (
                "The number comes from the data and may be 1 or more: write "
                f"{_count_call(key, found.singular, found.plural)} in place of the number and "
                f"its noun; it prints '1 {found.singular}', 'no {found.plural}' or "
                f"'29 {found.plural}' as the data require."
            )
        if key is not None:
            return (
                "The number comes from the data and may be 1 or more: choose the noun with "
                f"{{% if value('{key}') == 1 %}}{found.singular}{{% else %}}{found.plural}"
                "{% endif %}, or reword."
            )
        return f"Reword the words around {call} so that they suit any number."
    one, more = VERB_PAIRS[found.words.split()[-1].lower()]
    choose = (
        f", or choose it with {{% if value('{key}') == 1 %}}{one}{{% else %}}{more}{{% endif %}}"
        if key
        else ""
    )
    return (
        "The number comes from the data and may be 1 or more: use a verb that reads right "
        f"for any number ('remained unchanged' for 'were unchanged', 'had' for 'has'){choose}."
    )


def _count_call(key: str | None, singular: str, plural: str, opens: bool = False) -> str:
    given = f", '{plural}'" if plural != f"{singular}s" else ""
    extra = ", opens_sentence=True" if opens else ""
    return f"{{{{ count('{key or 'key'}', '{singular}'{given}{extra}) }}}}"


def _count_key(call: HelperCall) -> str | None:
    """The registry key of a count a helper printed: num('x.n') → x.n, n_pct('x') → x.n."""
    if call.key is None:
        return None
    if call.helper in ("num", "count"):
        return call.key
    if call.helper == "n_pct":
        return call.key + ".n"
    return None
