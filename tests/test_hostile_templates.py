"""A corpus of hostile templates: each is refused with its place named, or renders inert.

Templates arrive in pull requests and the HTML is published as a CI artifact, so a
template must not be able to put a local file, a web resource or a script into the
manuscript, nor a number or a significance word that does not come from the data.
Each file in ``tests/data/hostile_templates/`` says on its first line what must
happen (``expect: refused: <pattern of the message>`` or ``expect: inert: <text the
HTML shows>``); the test renders it as a section, builds pandoc's document tree,
checks it and writes the HTML, exactly as the pipeline does.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import CODEBOOK, REPO

from manuscript_engine.core.errors import ManuscriptError, TemplateProblem
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.output.conversion import build_document_tree, convert_document
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript

BOOK = load_codebook(CODEBOOK)

CORPUS = REPO / "tests/data/hostile_templates"
META = {
    "title": "A title",
    "authors": [{"name": "A. Author"}],
    "affiliations": {"lab": "1 Example Road, 200233 Shanghai"},
    "note": "77.7%",
}
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>'

REGISTRY = NumbersRegistry([Number("flow.included.pvp_itr.n", 71, "71", "patients", None, "t")])
EXPECT = re.compile(r"\{## expect: (refused|inert): (.*) ##\}")


def build_html(workdir: Path, section: str, metadata: dict = META, name: str = "01-hostile") -> str:
    """Render one section (``templates/sections/<name>.md.j2``) and write the HTML as the
    pipeline does; return the HTML."""
    templates = workdir / "templates"
    (templates / "sections").mkdir(parents=True)
    shutil.copytree(CORPUS / "partials", templates / "partials")
    shutil.copytree(
        REPO / "workflow/manuscript_engine/output/pandoc/defaults", workdir / "config/pandoc"
    )
    (templates / f"sections/{name}.md.j2").write_text(section, encoding="utf-8")
    (workdir / "results/manuscript").mkdir(parents=True)
    figures = workdir / "results/figures"
    figures.mkdir()
    (figures / "drawn.svg").write_text(SVG)
    (figures / "handmade.svg").write_text(SVG)  # in the folder, but not drawn by the build
    (workdir / "outside.svg").write_text("<svg><!-- root:SECRET --></svg>")
    (figures / "linked.svg").symlink_to(workdir / "outside.svg")
    manuscript = Manuscript(REGISTRY, {}, {}, "../figures", {"alpha": 0.05, "ci_level": 0.95}, BOOK)
    sources: list[dict] = []
    settings = {"date": "2020-01-02", "synthetic_cohort": False}
    text = render_manuscript(
        Path("templates"), manuscript, metadata=metadata, settings=settings, sources=sources
    )
    markdown = Path("results/manuscript/manuscript.md")
    markdown.write_text(text, encoding="utf-8")
    Path("results/sections.json").write_text(json.dumps(sources))
    tree = Path("results/manuscript.json")
    build_document_tree(
        markdown,
        tree,
        defaults=Path("config/pandoc/tree.yaml"),
        bibliography=REPO / "templates/references.bib",
        sections=Path("results/sections.json"),
        figures=[Path("results/figures/drawn.svg")],
    )
    html = Path("results/manuscript/manuscript.html")
    convert_document(
        tree,
        html,
        "html",
        defaults=Path("config/pandoc/html.yaml"),
        date="2020-01-02",
        figures=[Path("results/figures/drawn.svg")],
        stylesheet=REPO / "workflow/manuscript_engine/output/pandoc/defaults/manuscript.css",
    )
    return html.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.md.j2")))
def test_hostile_template(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = (CORPUS / name).read_text(encoding="utf-8")
    outcome, expected = EXPECT.match(source).groups()
    if outcome == "refused":
        with pytest.raises(TemplateProblem) as refusal:
            build_html(tmp_path, source)
        message = " ".join(str(refusal.value).split())
        assert "templates/" in message, message
        assert re.search(expected, message), message
        assert not Path("results/manuscript/manuscript.html").exists()
    else:
        assert expected in build_html(tmp_path, source)


def test_a_script_in_the_title_is_refused_at_its_line_in_the_metadata(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/metadata.yaml").write_text(
        "title: A <script>alert(document.domain)</script>\n"
    )
    meta = {**META, "title": "A <script>alert(document.domain)</script>"}
    with pytest.raises(TemplateProblem, match=r"(?s)templates/metadata.yaml line 1.*raw HTML"):
        build_html(tmp_path, "Text.\n", meta)


def test_a_section_linked_to_a_system_file_is_refused_without_its_content(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "outside.txt"
    secret.write_text("root:SECRET-HASH:19000:0:99999:7:::\n")
    (tmp_path / "templates/sections").mkdir(parents=True)
    (tmp_path / "templates/sections/01-a.md.j2").symlink_to(secret)
    manuscript = Manuscript(REGISTRY, {}, {}, "../figures", {"alpha": 0.05}, BOOK)
    with pytest.raises(TemplateProblem) as refusal:
        render_manuscript(
            Path("templates"),
            manuscript,
            metadata=META,
            settings={"date": "x", "synthetic_cohort": 0},
        )
    assert "is a link to a file outside templates/" in str(refusal.value)
    assert "SECRET" not in str(refusal.value)


def test_an_include_linked_out_of_the_templates_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "outside.md"
    secret.write_text("Our secret.\n")
    (tmp_path / "templates/sections").mkdir(parents=True)
    (tmp_path / "templates/partials").mkdir()
    (tmp_path / "templates/partials/linked.md").symlink_to(secret)
    (tmp_path / "templates/sections/01-a.md.j2").write_text("{% include 'partials/linked.md' %}\n")
    manuscript = Manuscript(REGISTRY, {}, {}, "../figures", {"alpha": 0.05}, BOOK)
    expected = r"(?s)templates/sections/01-a.md.j2 line 1.*outside templates/"
    with pytest.raises(TemplateProblem, match=expected):
        render_manuscript(
            Path("templates"),
            manuscript,
            metadata=META,
            settings={"date": "x", "synthetic_cohort": 0},
        )


def test_a_byte_order_mark_does_not_turn_the_first_heading_into_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html = build_html(tmp_path, "\ufeff# Methods\n\nText.\n")
    assert re.search(r"<h1[^>]*>Methods</h1>", html)


def test_a_template_that_is_not_utf8_is_named_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates/sections").mkdir(parents=True)
    (tmp_path / "templates/sections/01-a.md.j2").write_bytes(b"Line one.\nCaf\xe9 au lait.\n")
    manuscript = Manuscript(REGISTRY, {}, {}, "../figures", {"alpha": 0.05}, BOOK)
    with pytest.raises(TemplateProblem, match=r"01-a.md.j2 line 2 is not UTF-8 text"):
        render_manuscript(
            Path("templates"),
            manuscript,
            metadata=META,
            settings={"date": "x", "synthetic_cohort": 0},
        )


def test_a_missing_include_names_the_include(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = r"(?s)sections/01-hostile.md.j2 line 1.*'partials/nowhere.md' does not exist"
    with pytest.raises(TemplateProblem, match=expected):
        build_html(tmp_path, "{% include 'partials/nowhere.md' %}\n")


def test_affiliations_may_hold_digits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html = build_html(tmp_path, "{{ meta.affiliations.lab }}\n")
    assert "1 Example Road, 200233 Shanghai" in html


# --------------------------------------------------------------------------- images, writers
def test_a_linked_png_beside_a_figure_never_reaches_the_word_file(tmp_path):
    from manuscript_engine.text.document_safety import ImagePolicy, embed_images

    figures = tmp_path / "results/figures"
    figures.mkdir(parents=True)
    (figures / "x.svg").write_text(SVG)
    (tmp_path / "secret.png").write_bytes(b"\x89PNG SECRET")
    (figures / "x.png").symlink_to(tmp_path / "secret.png")
    tree = {"blocks": [{"t": "Image", "c": [["", [], []], [], ["../figures/x.svg", ""]]}]}
    policy = ImagePolicy(tmp_path / "results/manuscript", [figures / "x.svg", figures / "x.png"])
    embed_images(tree, policy, prefer=".png", inline=False)
    assert tree["blocks"][0]["c"][2][0] == "../figures/x.svg"  # the checked SVG, not the link
    embed_images(tree, policy, prefer=".png", inline=True)
    assert "U0VDUkVU" not in tree["blocks"][0]["c"][2][0]  # base64 of SECRET


def test_the_audit_page_shows_markup_from_the_published_values_as_text(tmp_path):
    from manuscript_engine.audit.report import write_audit_html

    markdown = tmp_path / "audit.md"
    markdown.write_text("# Audit\n\n- **Published:** <script>alert(document.domain)</script>\n")
    write_audit_html(markdown, tmp_path / "audit.html")
    page = (tmp_path / "audit.html").read_text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(document.domain)&lt;/script&gt;" in page


def test_the_audit_page_refuses_a_script_link_from_the_published_values(tmp_path):
    from manuscript_engine.audit.report import write_audit_html

    markdown = tmp_path / "audit.md"
    markdown.write_text("# Audit\n\n- [see](javascript:alert(document.domain))\n")
    with pytest.raises(ManuscriptError, match=r"(?s)data/published.yaml.*javascript:"):
        write_audit_html(markdown, tmp_path / "audit.html")
    assert not (tmp_path / "audit.html").exists()


# --------------------------------------------------------------------------- pandoc settings
@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ("include-in-header:\n  - /etc/hostname\n", "'include-in-header' is not a setting"),
        ("include-before-body: [/etc/passwd]\n", "'include-before-body' is not a setting"),
        ("css:\n  - https://example.org/x.css\n", "'css' is not a setting the build allows"),
        ("filters:\n  - config/pandoc/extra.lua\n", "the filter 'config/pandoc/extra.lua' is not"),
        ("resource-path: [/]\n", "'resource-path' is not a setting the build allows"),
        ("variables:\n  header-includes: x\n", "'variables' may only set document-css"),
        ("metadata:\n  header-includes: x\n", "'metadata' may only set link-citations"),
        ("a: &x [1]\nb: *x\n", "alias"),
    ],
)
def test_pandoc_settings_that_read_files_or_add_markup_are_refused(
    settings, refusal, tmp_path, monkeypatch
):
    from manuscript_engine.output.conversion import check_pandoc_defaults

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config/pandoc").mkdir(parents=True)
    defaults = tmp_path / "config/pandoc/html.yaml"
    defaults.write_text("standalone: true\n" + settings)
    with pytest.raises(
        ManuscriptError, match=re.escape(refusal) if refusal != "alias" else "(?i)alias"
    ):
        check_pandoc_defaults(Path("config/pandoc/html.yaml"))


def test_the_shipped_pandoc_settings_pass(monkeypatch):
    from manuscript_engine.output.conversion import check_pandoc_defaults

    monkeypatch.chdir(REPO)
    shipped = sorted(Path("workflow/manuscript_engine/output/pandoc/defaults").glob("*.yaml"))
    assert len(shipped) == 4
    for defaults in shipped:
        check_pandoc_defaults(defaults)


@pytest.mark.parametrize(
    "line",
    [
        "body { background: url(/etc/passwd); }",
        "body { background: u\\72l(/etc/passwd); }",
        "@\\69mport 'x.css';",
        'body { background-image: image-set("https://example.org/a.png" 1x); }',
        "</style><script>alert(document.domain)</script>",
    ],
)
def test_a_stylesheet_that_could_load_or_run_something_is_refused(line, tmp_path):
    from manuscript_engine.output.conversion import style_header

    css = tmp_path / "manuscript.css"
    css.write_text(f"body {{ color: black; }}\n{line}\n")
    with pytest.raises(ManuscriptError, match=r"manuscript.css line 2"):
        style_header(css)


def test_a_number_or_significance_word_in_the_title_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    meta = {**META, "title": "A significantly better treatment in 77.7% of patients"}
    with pytest.raises(TemplateProblem) as refusal:
        build_html(tmp_path, "Text.\n", meta)
    assert "metadata.yaml, title" in str(refusal.value)
    assert "'77.7%'" in str(refusal.value) and "'significantly'" in str(refusal.value)


def test_format_on_a_helper_value_loses_its_mark(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    section = '{{ num("flow.included.pvp_itr.n").format(**{"": ""}) }}\n'
    with pytest.raises(TemplateProblem, match=r"the number '71' is printed"):
        build_html(tmp_path, section)


def test_an_author_name_with_a_claim_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    meta = {**META, "authors": [{"name": "Y. Gu (relief significantly better)"}]}
    with pytest.raises(TemplateProblem, match=r"metadata.yaml, author .*'significantly'"):
        build_html(tmp_path, "Text.\n", meta)


def test_a_templates_folder_that_is_a_link_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real/sections").mkdir(parents=True)
    (tmp_path / "real/sections/01-a.md.j2").write_text("Text.\n")
    (tmp_path / "templates").symlink_to(tmp_path / "real")
    manuscript = Manuscript(REGISTRY, {}, {}, "../figures", {"alpha": 0.05}, BOOK)
    with pytest.raises(TemplateProblem, match="templates/ is a link"):
        render_manuscript(
            Path("templates"),
            manuscript,
            metadata=META,
            settings={"date": "x", "synthetic_cohort": 0},
        )


def test_bibtex_comments_are_not_entries(tmp_path):
    from manuscript_engine.text.document_safety import bibliography_keys

    bib = tmp_path / "references.bib"
    bib.write_text("@comment{88, a note}\n@string{j = {J}}\n@article{gu2014,\n title={T}}\n")
    assert bibliography_keys(bib) == {"gu2014"}


@pytest.mark.parametrize(
    "line",
    [
        'ul { list-style-type: "relief significantly better"; }',
        ".synthetic-notice { display: none; }",
        "header .subtitle { visibility: hidden; }",
    ],
)
def test_a_stylesheet_that_writes_or_hides_text_is_refused(line, tmp_path):
    from manuscript_engine.output.conversion import style_header

    css = tmp_path / "manuscript.css"
    css.write_text(f"body {{ color: black; }}\n{line}\n")
    with pytest.raises(ManuscriptError, match=r"manuscript.css line 2"):
        style_header(css)


def test_a_frame_and_a_picture_from_outside_are_refused_at_their_lines(tmp_path, monkeypatch):
    """What a co-author might append to the conclusion: refused, and no HTML is written."""
    monkeypatch.chdir(tmp_path)
    section = (
        "# Conclusion\n\nText.\n"
        '\n<iframe src="/etc/passwd" hidden></iframe>\n\n<img src="../../.git/config">\n'
    )
    with pytest.raises(TemplateProblem) as refusal:
        build_html(tmp_path, section, name="06-conclusion")
    lines = str(refusal.value).splitlines()
    assert lines[:5] == [
        "The manuscript holds 2 thing(s) it may not contain:",
        '  - templates/sections/06-conclusion.md.j2 line 5: <iframe src="/etc/passwd" hidden>'
        "</iframe>",
        '    raw HTML is not allowed in the manuscript: <iframe src="/etc/passwd" hidden>. '
        "Write it in Markdown instead.",
        '  - templates/sections/06-conclusion.md.j2 line 7: <img src="../../.git/config">',
        '    raw HTML is not allowed in the manuscript: <img src="../../.git/config">. '
        "Write it in Markdown instead.",
    ]
    assert "root:" not in str(refusal.value)
    assert not Path("results/manuscript/manuscript.html").exists()
