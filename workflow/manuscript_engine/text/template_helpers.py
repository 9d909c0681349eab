"""The functions templates call: numbers, facts, tables, figures and checked claims.

Every word that depends on a result ("significantly lower", "did not differ") comes
from :meth:`Manuscript.compare` or :meth:`Manuscript.across`, which read the stored
comparison; a claim an author writes by hand goes through :meth:`Manuscript.claim`,
which fails the build when the registry does not support it.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.formatting import (
    format_decimal,
    format_level,
    monte_carlo_detail,
    number_words,
)
from manuscript_engine.core.registry import NumbersRegistry
from manuscript_engine.data.vocabulary import (
    category_range,
    column_spec,
    plain_number,
    study_arms,
)
from manuscript_engine.text.checklists import ChecklistMarkers
from manuscript_engine.text.template_lint import (
    SIGNIFICANCE,
    HelperCall,
    Quoted,
    Verdict,
    issued,
)

CLAIMS = (
    "significantly higher",
    "significantly lower",
    "not significantly different",
    "higher",
    "lower",
)


DOCUMENTS = {"manuscript": "", "supplement": "S"}
"""The documents a build renders, each with the prefix of its table and figure numbers
("Table 2" in the manuscript, "Table S2" in the supplement)."""
OTHER_DOCUMENT = "other-document"
"""The class of a link into the other document: only the HTML keeps it as a link (the
HTML files sit side by side); the other formats print its text (see
:func:`manuscript_engine.output.conversion.unlink_other_documents`)."""


@dataclass(frozen=True)
class Placed:
    """Where a table or figure is placed: its document, its number there, its template."""

    document: str
    label: str
    template: str


@dataclass
class Manuscript:
    """What the templates can reach, with the numbering of tables and figures.

    ``document`` is the one being rendered; ``placed`` numbers the tables and figures
    of every document (see :func:`number_placements`), so a reference into the other
    document prints its number there ("Table S1").
    """

    registry: NumbersRegistry
    facts: Mapping[str, str]
    tables: Mapping[str, str]
    figure_dir: str
    statistics: Mapping[str, Any]
    codebook: Mapping[str, Any] = field(default_factory=dict)
    placed: Mapping[str, Mapping[str, Placed]] = field(default_factory=dict)
    document: str = "manuscript"
    checklists: ChecklistMarkers | None = None
    _marking_numbers: bool = field(default=False, init=False, repr=False)
    """True while a template's helper call runs: registry numbers it prints are then
    marked with their keys (see :func:`quote_number`); a direct call gets plain text."""

    @functools.cached_property
    def _arms(self):
        """The study's arms, read from the codebook once per rendering."""
        return study_arms(dict(self.codebook))

    @property
    def _labels(self) -> tuple[str, str]:
        """How the text names the first two arms, in the codebook's order (comparisons are
        first − second)."""
        return self._arms[0].phrase, self._arms[1].phrase

    # ------------------------------------------------------------------ numbers
    def num(self, key: str) -> str:
        """The formatted text of a registry entry, as it must appear in the paper."""
        return self.registry[key].text

    def _quote(self, key: str, text: str | None = None) -> str:
        """A registry number as printed (``text``, by default its own), marked with its
        key while a template's call runs, so the HTML can say where it came from."""
        shown = self.registry[key].text if text is None else text
        return quote_number(key, shown) if self._marking_numbers else shown

    def _quoted_num(self, key: str) -> str:
        """``num()`` as templates call it: the number, marked with its key."""
        return self._quote(key)

    def count(
        self, key: str, noun: str, plural: str | None = None, opens_sentence: bool = False
    ) -> str:
        """A count with its noun in the right number ('no patients', '1 patient',
        '29 patients'); where it opens a sentence, the number in words ('Thirteen
        patients'), since a sentence does not start with a numeral. Above ninety-nine,
        where words would be unreadable, the sentence opens with 'A total of' ('A total
        of 89,781 patients'), as style guides advise: a registry-size cohort renders
        the same templates."""
        _plain_words("count", noun, *([plural] if plural is not None else []))
        value = self.registry[key].value
        if not isinstance(value, (int, float)) or value != int(value) or value < 0:
            raise TemplateProblem(
                f"count(): {key} is {self.num(key)}, not a count; use num('{key}')."
            )
        n = int(value)
        words = noun if n == 1 else (plural or f"{noun}s")
        if not opens_sentence:
            return f"{self._quote(key, 'no' if n == 0 else self.num(key))} {words}"
        if n > 99:
            return f"A total of {self._quote(key, self.num(key))} {words}"
        spelt = ("no" if n == 0 else number_words(n)).capitalize()
        return f"{self._quote(key, spelt)} {words}"

    def n_pct(self, base: str) -> str:
        """``n (pct%)`` from ``base.n`` and ``base.pct``."""
        return f"{self._quote(base + '.n')} ({self._quote(base + '.pct')}%)"

    def mean_sd(self, base: str) -> str:
        return self._quote(base + ".mean_sd")

    def p(self, base: str) -> str:
        """``P = 0.012`` or ``P < 0.001`` for a stored comparison."""
        text = self.num(base + ".p")
        marked = self._quote(base + ".p")
        return f"P {marked}" if text.startswith("<") else f"P = {marked}"

    def ci(self, base: str) -> str:
        """``95% CI 81.0–94.1%`` for a stored proportion, ``95% CI 0.54–0.89`` for a ratio."""
        level = format_level(self.statistics["ci_level"])
        # A percentage's interval is printed with its sign; a ratio's or a time's without.
        sign = "%" if self.registry[base + ".ci_low"].unit == "%" else ""
        low, high = self._quote(base + ".ci_low"), self._quote(base + ".ci_high")
        return f"{level} CI {low}–{high}{sign}"

    def fact(self, name: str) -> str:
        """A protocol fact from config/study_facts.yaml."""
        if name not in self.facts:
            close = difflib.get_close_matches(name, list(self.facts), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise TemplateProblem(
                f"there is no study fact named '{name}' in config/study_facts.yaml.{hint}"
            )
        return str(self.facts[name])

    def significance_rule(self) -> str:
        """The methods sentence's threshold, from the config (never typed)."""
        return (
            f"two-sided P values below {format_decimal(self.statistics['alpha'], 2)} were "
            "taken to indicate statistical significance"
        )

    # ------------------------------------------------------------------ claims
    def _result(self, base: str) -> tuple[float, float]:
        p, difference = (self.registry[f"{base}.{part}"].value for part in ("p", "difference"))
        if p is None or difference is None:
            raise TemplateProblem(
                f"{base} has no {'P value' if p is None else 'difference'} to choose words "
                f"from (it is {self.num(base + '.difference')}); describe it with the numbers "
                f"themselves, such as {{{{ p('{base}') }}}}."
            )
        return float(p), float(difference)

    def _significant(self, p: float) -> bool:
        return p < float(self.statistics["alpha"])

    def compare(self, base: str, higher: str = "higher", lower: str = "lower") -> str:
        """The words for a comparison, chosen by its P value and direction."""
        _plain_words("compare", higher, lower)
        p, difference = self._result(base)
        if not self._significant(p) or difference == 0:
            return "not significantly different between {} and {}".format(*self._labels)
        word = higher if difference > 0 else lower
        return "significantly {} with {} than with {}".format(word, *self._labels)

    def across(self, bases: list[str], higher: str = "higher", lower: str = "lower") -> str:
        """The words for a set of comparisons (for example every follow-up time point)."""
        _plain_words("across", higher, lower)
        results = [self._result(b) for b in bases]
        ups = sum(self._significant(p) and d > 0 for p, d in results)
        downs = sum(self._significant(p) and d < 0 for p, d in results)
        if not ups and not downs:
            return "not significantly different between the arms at any time point"

        def where(k: int) -> str:
            return "every time point" if k == len(results) else f"{k} of {len(results)} time points"

        parts = [
            f"significantly {word} with {self._labels[0]} at {where(k)}"
            for word, k in ((higher, ups), (lower, downs))
            if k
        ]
        return " and ".join(parts)

    def value(self, key: str) -> Any:
        """The raw value of a registry entry, for conditions ({% if value(...) > 0 %})."""
        return self.registry[key].value

    def arm(self, key: str) -> str:
        """How the text names an arm, by its key in the codebook (``arm('<key>')``): its
        ``in_text`` wording, or its label."""
        arms = self._arms
        if arms.find(key) is None:
            raise TemplateProblem(
                f"there is no arm '{key}' in data/codebook.yaml (arms: {', '.join(arms.keys)})."
            )
        return arms.find(key).phrase

    def scale_range(self, column: str) -> str:
        """A column's range from the codebook: ``0 (no pain) to 10 (worst pain)``.

        The ends are the column's ``min`` and ``max``, each with its ``anchors`` wording
        where the codebook gives one.
        """
        spec = self._codebook_entry(
            f"column {column}", lambda: _with_range(column_spec(dict(self.codebook), column))
        )
        anchors = spec.get("anchors", {})
        ends = [
            plain_number(spec[end]) + (f" ({anchors[end]})" if end in anchors else "")
            for end in ("min", "max")
        ]
        return " to ".join(ends)

    def category_range(self, definition: str, category: str) -> str:
        """A category's bounds from the codebook's definitions (``0–2``, never typed)."""
        return self._codebook_entry(
            f"{definition} › {category}",
            lambda: category_range(dict(self.codebook), definition, category),
        )

    def _codebook_entry(self, what: str, find: Callable[[], Any]) -> Any:
        try:
            return find()
        except (KeyError, TypeError):
            raise TemplateProblem(
                f"there is no {what} in data/codebook.yaml with a min and max."
            ) from None

    def relative_to_range(self, key: str, low_fact: str, high_fact: str) -> str:
        """'lies within', 'lies below' or 'lies above' a published range from the facts."""
        value = float(self.registry[key].value)
        low, high = float(self.fact(low_fact)), float(self.fact(high_fact))
        return "lies below" if value < low else "lies above" if value > high else "lies within"

    def tests_used(self) -> str:
        """The methods' description of every test and its variant, from the statistics
        config: the Mann–Whitney variant, Yates or not, exact or Monte Carlo Fisher."""
        settings = self.statistics
        continuity = "with" if settings["mann_whitney_continuity"] else "without"
        continuous = {
            "mann_whitney": "the Mann–Whitney U test (two-sided, normal approximation with "
            f"the correction for ties, {continuity} continuity correction)",
            "welch_t": "Welch's t-test (unequal variances)",
            "student_t": "Student's t-test (pooled variance)",
        }[settings["continuous_test"]]
        yates = "with" if settings["chi2_continuity_correction"] else "without"
        minimum = format_decimal(float(settings["min_expected_count"]), 0)
        if settings.get("fisher_rxc", "exact") == "exact":
            larger = "its Freeman–Halton extension, also exact, for larger tables"
        else:
            larger = (
                "its Freeman–Halton extension for larger tables, estimated by Monte Carlo ("
                + monte_carlo_detail(int(settings["fisher_rxc_resamples"]), int(settings["seed"]))
                + ")"
            )
        return (
            f"{continuous} for continuous variables, and with Pearson's χ² test ({yates} "
            f"Yates' correction) or, when an expected count fell below {minimum}, Fisher's "
            f"exact test for 2 × 2 tables and {larger} for categorical variables"
        )

    def effects_used(self) -> str:
        """The Methods' description of the effect estimates, from the statistics config."""
        settings = self.statistics
        interval = "Student's" if settings["continuous_test"] == "student_t" else "Welch's"
        shift = (
            " and, beside each Mann–Whitney comparison, the Hodges–Lehmann shift (the median "
            "of all between-arm differences) with Moses' interval"
            if settings["continuous_test"] == "mann_whitney"
            else ""
        )
        return (
            "risk differences with Newcombe's hybrid score interval for proportions, and "
            f"differences in means with {interval} t interval{shift} for continuous variables"
        )

    def software_used(self) -> str:
        """The software that computed the results, with the versions the build ran
        (the same function writes them into the manifest)."""
        from manuscript_engine.core.software import software_versions

        versions = software_versions()
        python = ".".join(versions["python"].split(".")[:2])
        named = [
            ("pandas", "pandas"),
            ("numpy", "NumPy"),
            ("scipy", "SciPy"),
            ("statsmodels", "statsmodels"),
            ("lifelines", "lifelines"),
        ]
        listed = ", ".join(f"{name} {versions[package]}" for package, name in named)
        return f"Python {python} with {listed}"

    def estimate(self, base: str, effect: str = "") -> str:
        """An effect with its interval, for a sentence that names it: '20.0 percentage
        points (95% CI 5.2 to 33.4)'. ``effect`` is risk_difference, mean_difference or
        hodges_lehmann; by default the risk difference of a proportion, else the
        Hodges–Lehmann shift beside a Mann–Whitney test, else the difference in means."""
        if not effect:
            effect = next(
                (
                    name
                    for name in ("risk_difference", "hodges_lehmann", "mean_difference")
                    if f"{base}.{name}" in self.registry
                ),
                "",
            )
        key = f"{base}.{effect}" if effect else base
        number = self.registry[key]
        level = format_level(self.statistics["ci_level"])
        unit = "" if not number.unit else number.unit if number.unit == "%" else f" {number.unit}"
        return (
            f"{self._quote(key)}{unit} ({level} CI {self._quote(key + '.low')} to "
            f"{self._quote(key + '.high')})"
        )

    def interval_method(self) -> str:
        return {
            "wilson": "Wilson score intervals",
            "clopper_pearson": "exact (Clopper–Pearson) intervals",
        }[self.statistics["ci_method"]]

    def claim(self, base: str, statement: str) -> str:
        """Return ``statement`` if the stored comparison supports it; otherwise fail."""
        if statement not in CLAIMS:
            raise TemplateProblem(
                f"claim('{base}', '{statement}'): the statement must be one "
                f"of: {', '.join(CLAIMS)}."
            )
        p, difference = self._result(base)
        direction = "higher" if difference > 0 else "lower"
        supported = {
            "significantly higher": self._significant(p) and difference > 0,
            "significantly lower": self._significant(p) and difference < 0,
            "not significantly different": not self._significant(p),
            "higher": difference > 0,
            "lower": difference < 0,
        }[statement]
        if not supported:
            shown = unmark_numbers(self.p(base))[0]
            raise TemplateProblem(
                f"the claim '{statement}' about {base} is not supported by the data: "
                f"{shown} (significance needs P < {self.statistics['alpha']}) and the "
                f"{self._labels[0]} value is {direction} than the {self._labels[1]} value. "
                "Change the wording, or "
                f"write {{{{ compare('{base}') }}}} to let the data choose it."
            )
        return statement

    # ------------------------------------------------------------------ tables, figures
    def _placed(self, kind: str, name: str) -> Placed:
        placed = self.placed.get(kind, {}).get(name)
        if placed is None:
            raise TemplateProblem(
                f"{kind} '{name}' is referred to but never placed with "
                f"{kind}('{name}') in a template."
            )
        return placed

    def _place(self, kind: str, name: str) -> str:
        """The number of a table or figure placed here (refused if placed elsewhere)."""
        placed = self._placed(kind, name)
        if placed.document != self.document:
            raise TemplateProblem(
                f"{kind} '{name}' is placed in the {placed.document} ({placed.template}); "
                f"refer to it here with {kind}_ref('{name}')."
            )
        return placed.label

    def _reference(self, kind: str, name: str, anchor: str | None) -> str:
        """'Table S1', linked to its place: in this document, or in the other one's HTML."""
        placed = self._placed(kind, name)
        text = f"{kind.capitalize()} {placed.label}"
        if anchor is None:
            return text
        if placed.document == self.document:
            return f"[{text}](#{anchor})"
        return f"[{text}]({placed.document}.html#{anchor}){{.{OTHER_DOCUMENT}}}"

    def table(self, name: str) -> str:
        """Place a table built by the analysis, numbered in order of placement."""
        if name not in self.tables:
            raise TemplateProblem(
                f"there is no table named '{name}'. Tables: {', '.join(sorted(self.tables))}."
            )
        label = self._place("table", name)
        return re.sub(
            r"^Table: ",
            f"Table: Table {label}. ",
            self.tables[name].rstrip("\n"),
            count=1,
            flags=re.MULTILINE,
        )

    def figure(self, name: str) -> str:
        """Place a figure with its caption and alt text from the registry.

        pandoc's ``alt`` attribute gives the picture its own description (HTML ``alt``,
        the DOCX picture's ``descr``, Typst's ``alt`` through the engine's filter); the
        caption stays the caption. Quotes and backslashes would end or escape the
        attribute, so they are written as a plain apostrophe and slash.
        """
        label = self._place("figure", name)
        caption = self.num(f"figures.{name}.caption")
        alt = self.num(f"figures.{name}.alt").replace('"', "'").replace("\\", "/")
        return (
            f'![Figure {label}. {caption}]({self.figure_dir}/{name}.svg){{#fig:{name} alt="{alt}"}}'
        )

    def table_ref(self, name: str) -> str:
        label = re.search(r"\{#(tbl:[\w-]+)\}", self.tables.get(name, ""))
        return self._reference("table", name, label.group(1) if label else None)

    def figure_ref(self, name: str) -> str:
        return self._reference("figure", name, f"fig:{name}")

    def globals(self) -> dict[str, Any]:
        """The helpers templates call, each returning marked text (see template_lint)."""
        return {
            **{
                name: self._marking_call(
                    getattr(self, TEMPLATE_FORMS.get(name, name)), Quoted, name
                )
                for name in QUOTING_HELPERS
            },
            **{name: _marking(getattr(self, name), Verdict) for name in VERDICT_HELPERS},
            "value": self.value,  # a raw value, for conditions; printing it is refused
            **self._checklist_markers(),
        }

    def _marking_call(
        self, helper: Callable[..., str], kind: type[Quoted], name: str
    ) -> Callable[..., Quoted]:
        """``helper`` as templates call it: its registry numbers marked with their keys
        (the plain text is what every check reads; the marked one feeds the HTML)."""

        def with_marks(*args: Any, **kwargs: Any) -> str:
            outer, self._marking_numbers = self._marking_numbers, True
            try:
                return helper(*args, **kwargs)
            finally:
                self._marking_numbers = outer

        with_marks.__name__ = name
        return _marking(with_marks, kind)

    def _checklist_markers(self) -> dict[str, Any]:
        """``checklist(name, item)`` and, per configured checklist, its shorthand
        (``strobe(item)``): markers that print an invisible anchor (see checklists)."""
        if self.checklists is None:
            return {}

        def checklist(name: str, item: str) -> str:
            return self.checklists.mark(name, item)

        helpers = {"checklist": _marking(checklist, Quoted)}
        for key in self.checklists.checklists:
            if key in (*QUOTING_HELPERS, *VERDICT_HELPERS, "value", "checklist"):
                raise TemplateProblem(
                    f"config/config.yaml › checklists: a checklist may not be called '{key}', "
                    "the name of a template helper; rename it."
                )

            def shorthand(item: str, _key: str = key) -> str:
                return self.checklists.mark(_key, item)

            shorthand.__name__ = key
            helpers[key] = _marking(shorthand, Quoted)
        return helpers


def _with_range(spec: dict) -> dict:
    """The column's spec, if it has a min and a max (KeyError otherwise)."""
    spec["min"], spec["max"]  # noqa: B018 - the lookups are the check
    return spec


PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z '-]*")


def _plain_words(helper: str, *words: str) -> None:
    """The direction words a template passes: words only, the data add 'significantly'."""
    for word in words:
        if (
            not isinstance(word, str)
            or not PLAIN_WORDS.fullmatch(word)
            or SIGNIFICANCE.search(word)
        ):
            raise TemplateProblem(
                f"{helper}(): the wording {word!r} must be plain words such as 'higher' or "
                "'shorter', without numbers or 'significant' (the data choose those)."
            )


QUOTING_HELPERS = (
    "num",
    "count",
    "arm",
    "scale_range",
    "category_range",
    "n_pct",
    "mean_sd",
    "p",
    "ci",
    "fact",
    "table_ref",
    "figure_ref",
    "tests_used",
    "software_used",
    "effects_used",
    "estimate",
    "interval_method",
)
"""Helpers whose text holds numbers from the data or the facts."""
VERDICT_HELPERS = (
    "significance_rule",
    "compare",
    "across",
    "claim",
    "table",
    "figure",
    "relative_to_range",
)
"""Helpers whose wording the data chose (significance words allowed)."""


TEMPLATE_FORMS = {"num": "_quoted_num"}
"""Helpers whose template form differs from the method the engine calls itself (a
figure's caption reads ``num`` unmarked)."""


def _marking(helper: Callable[..., str], kind: type[Quoted]) -> Callable[..., Quoted]:
    @functools.wraps(helper)
    def marked(*args: Any, **kwargs: Any) -> Quoted:
        call = HelperCall(helper.__name__, args, tuple(kwargs.items()))
        plain, annotated = unmark_numbers(helper(*args, **kwargs))
        text = issued(plain, kind, call)
        text.annotated = annotated
        return text

    return marked


NUMBER_OPEN, NUMBER_SEP, NUMBER_CLOSE = "\ue010", "\ue011", "\ue012"
"""Private-use characters around a registry number inside a helper's result (distinct
from template_lint's seals); :func:`unmark_numbers` takes them out again."""
MARKED_NUMBER = re.compile(
    f"{NUMBER_OPEN}([a-z0-9_.]+){NUMBER_SEP}([^{NUMBER_OPEN}{NUMBER_SEP}{NUMBER_CLOSE}]*)"
    f"{NUMBER_CLOSE}"
)
SPAN_SAFE = re.compile(r"(?:[^\[\]{}\\`*_^~$@#|<\n]|<(?![A-Za-z/!?]))+")
"""Text that reads the same inside a Markdown bracketed span (registry numbers do)."""
NUMBER_CLASS = "num"
"""The class of a quoted registry number's span (its key is in ``data-key``)."""


def quote_number(key: str, text: str) -> str:
    """``text`` marked as the printed form of the registry number ``key``."""
    return f"{NUMBER_OPEN}{key}{NUMBER_SEP}{text}{NUMBER_CLOSE}"


def number_span(key: str, text: str) -> str:
    """Pandoc's bracketed span for a quoted number: ``[12.3]{.num data-key="a.b"}``.

    Text that Markdown would read differently inside brackets stays unmarked."""
    if not SPAN_SAFE.fullmatch(text):
        return text
    return f'[{text}]{{.{NUMBER_CLASS} data-key="{key}"}}'


def unmark_numbers(text: str) -> tuple[str, str | None]:
    """A helper's result as plain text, and with each marked number as its span (None
    when it marks none)."""
    if NUMBER_OPEN not in text:
        return text, None
    plain = MARKED_NUMBER.sub(lambda m: m.group(2), text)
    annotated = MARKED_NUMBER.sub(lambda m: number_span(m.group(1), m.group(2)), text)
    return plain, annotated


PLACEMENT = re.compile(r"""\b(table|figure)\(\s*["']([\w-]+)["']\s*\)""")


def number_placements(
    documents: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, Placed]]:
    """Number every table and figure by its document and its order of placement there.

    ``documents`` maps each document ("manuscript", "supplement") to its templates'
    names and sources, in order. A table placed in two documents is refused, naming
    both templates: it would carry two numbers.
    """
    placed: dict[str, dict[str, Placed]] = {"table": {}, "figure": {}}
    for document, templates in documents.items():
        counts = {"table": 0, "figure": 0}
        for template, source in templates.items():
            for kind, name in PLACEMENT.findall(source):
                earlier = placed[kind].get(name)
                if earlier is None:
                    counts[kind] += 1
                    label = f"{DOCUMENTS[document]}{counts[kind]}"
                    placed[kind][name] = Placed(document, label, template)
                elif earlier.document != document:
                    raise TemplateProblem(
                        f"{kind} '{name}' is placed in the {earlier.document} "
                        f"({earlier.template}) and in the {document} ({template}). Place it "
                        f"in one of them, and refer to it from the other with "
                        f"{kind}_ref('{name}')."
                    )
    return placed
