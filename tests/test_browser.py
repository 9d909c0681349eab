"""The HTML manuscript in a real browser (headless Chromium).

A copy of the page gets a small probe script that records console errors and, once the
page has loaded, checks every figure, table, cross-reference and the reference list; the
browser's DOM dump carries the result back. A screenshot is saved under results/browser/
for a person to look at.
"""

from __future__ import annotations

import json
import re
import subprocess
from contextlib import contextmanager

import pytest
from browser_harness import CHROMIUM, axe_violations, describe_violations, needs_chromium
from browser_harness import FLAGS as BROWSER_FLAGS
from conftest import REPO

from vertebroplasty.layout import FIGURES

FLAGS = ["--headless", *BROWSER_FLAGS]
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e)), true);
const __consoleError = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); __consoleError(...args); };
window.addEventListener('load', () => {
  const images = [...document.querySelectorAll('figure img, figure svg')];
  const result = {
    figures: images.map(i => { const r = i.getBoundingClientRect();
      const natural = i.naturalWidth === undefined ? -1 : i.naturalWidth;
      return {w: r.width, h: r.height, natural: natural}; }),
    tables: [...document.querySelectorAll('table')].map(t => t.rows.length),
    broken_links: [...document.querySelectorAll('a[href^="#"]')]
      .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
      .filter(id => !document.getElementById(id)),
    references: document.querySelectorAll('#refs .csl-entry').length,
    errors: window.__errors,
  };
  const pre = document.createElement('pre');
  pre.id = 'probe-result';
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
});
</script>"""

pytestmark = [pytest.mark.e2e, needs_chromium]


def run_chromium(*args: str, workdir) -> subprocess.CompletedProcess:
    assert CHROMIUM, "Chromium must be installed in CI (.ci/run installs Debian's chromium)"
    profile = workdir / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def probe(built_repo, tmp_path_factory):
    page = built_repo / "results/manuscript/manuscript.html"
    probed = page.with_name("probe.html")
    html = page.read_text(encoding="utf-8")
    probed.write_text(html.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    workdir = tmp_path_factory.mktemp("chromium")
    result = run_chromium(
        "--virtual-time-budget=10000", "--dump-dom", probed.as_uri(), workdir=workdir
    )
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, result.stderr[-2000:]
    shots = REPO / "results/browser"
    shots.mkdir(parents=True, exist_ok=True)
    run_chromium(
        "--window-size=1280,4000",
        f"--screenshot={shots / 'manuscript.png'}",
        page.as_uri(),
        workdir=workdir,
    )
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_every_figure_loads_with_a_size(probe):
    assert len(probe["figures"]) == len(FIGURES) - 1  # adjusted_differences: the supplement's
    for figure in probe["figures"]:
        assert figure["w"] > 0 and figure["h"] > 0 and figure["natural"] != 0


def test_every_table_has_rows_and_every_cross_reference_resolves(probe):
    assert len(probe["tables"]) >= 10 and min(probe["tables"]) > 1
    assert probe["broken_links"] == []


def test_the_reference_list_is_filled(probe):
    assert probe["references"] == 23


def test_the_console_shows_no_errors(probe):
    assert probe["errors"] == []


def test_a_screenshot_is_saved_for_a_person(probe):
    assert (REPO / "results/browser/manuscript.png").stat().st_size > 10_000


DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
VIEWS = {"desktop": (DESKTOP, "light"), "phone": (PHONE, "light"), "dark": (DESKTOP, "dark")}
"""The page as readers meet it: on a laptop, on a phone, and with a dark setting."""


@contextmanager
def opened(browser, path, view: str = "desktop"):
    """The page open in a fresh browser context of the given view."""
    options, scheme = VIEWS[view]
    context = browser.new_context(color_scheme=scheme, **options)
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("document", ["manuscript", "supplement"])
def test_axe_core_finds_no_wcag_21_aa_violation(built_repo, browser, document, view):
    path = built_repo / f"results/manuscript/{document}.html"
    with opened(browser, path, view) as page:
        violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize("view", VIEWS)
def test_a_screenshot_of_the_first_page_is_saved_for_each_view(built_repo, browser, view):
    shots = REPO / "results/browser"
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"manuscript-{view}.png"
    with opened(browser, built_repo / "results/manuscript/manuscript.html", view) as page:
        page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


MANUSCRIPT = "results/manuscript/manuscript.html"


def test_the_contents_stay_in_view_while_the_text_scrolls_at_desktop_width(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT) as page:
        toc = page.locator("nav#TOC")
        assert toc.locator("a[href='#sec:results']").count() == 1
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        box = toc.bounding_box()
        assert page.evaluate("window.scrollY") > 2000
        assert 0 <= box["y"] <= 40 and box["x"] < 400  # still at the top left of the window


def cited_reference(page, link) -> str:
    target = link.get_attribute("href").lstrip("#")
    entry = page.locator(f"[id='{target}'] .csl-right-inline")
    return " ".join(entry.inner_text().split())


def test_a_citation_shows_its_reference_on_hover(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT) as page:
        link = page.locator("a[role='doc-biblioref']").first
        link.hover()
        tip = page.locator("#cite-preview")
        tip.wait_for(state="visible")
        assert " ".join(tip.inner_text().split()) == cited_reference(page, link)
        assert link.get_attribute("aria-describedby") == "cite-preview"
        page.keyboard.press("Escape")
        tip.wait_for(state="hidden")


def test_a_citation_shows_its_reference_when_the_keyboard_reaches_it(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT) as page:
        for _ in range(300):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.getAttribute('role')") == "doc-biblioref":
                break
        else:
            pytest.fail("no citation could be reached with the Tab key")
        tip = page.locator("#cite-preview")
        tip.wait_for(state="visible")
        focused = page.locator(":focus")
        assert " ".join(tip.inner_text().split()) == cited_reference(page, focused)
        tip_box, link_box = tip.bounding_box(), focused.bounding_box()
        assert tip_box["x"] >= 0 and tip_box["x"] + tip_box["width"] <= 1280
        below = abs(tip_box["y"] - (link_box["y"] + link_box["height"]))
        above = abs(tip_box["y"] + tip_box["height"] - link_box["y"])
        assert min(below, above) < 40  # right below the link, or above it near the bottom


@pytest.mark.parametrize("document", ["manuscript", "supplement"])
def test_nothing_runs_off_the_side_of_a_phone(built_repo, browser, document):
    with opened(browser, built_repo / f"results/manuscript/{document}.html", "phone") as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        wide = page.evaluate(
            "[...document.querySelectorAll('.table-scroll')]"
            ".filter(b => b.scrollWidth > b.clientWidth).length"
        )
        assert wide > 0  # the wide tables scroll in their own box instead


FONT_SCALE = re.compile(r"scale\(([0-9.]+) -")
"""matplotlib writes lettering as glyphs scaled by the font size in points / 100."""


def test_the_lettering_of_every_figure_is_at_least_11_px_at_desktop_width(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT) as page:
        shown = page.evaluate(
            "[...document.querySelectorAll('figure')].map(f => ({id: f.id,"
            " width: f.querySelector('img').getBoundingClientRect().width,"
            " natural: f.querySelector('img').naturalWidth}))"
        )
    assert {figure["id"] for figure in shown} >= {"fig:patient_flow"}
    for figure in shown:
        svg = (built_repo / f"results/figures/{figure['id'].removeprefix('fig:')}.svg").read_text()
        smallest_pt = 100 * min(float(scale) for scale in FONT_SCALE.findall(svg))
        pixels = smallest_pt * 4 / 3 * figure["width"] / figure["natural"]
        assert pixels >= 11, (figure["id"], round(pixels, 1))


def test_the_dark_theme_follows_the_readers_setting_with_figures_on_white(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT, "dark") as page:
        colours = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.body).color,"
            " getComputedStyle(document.querySelector('figure img')).backgroundColor]"
        )
    assert colours == ["rgb(22, 24, 27)", "rgb(232, 230, 227)", "rgb(255, 255, 255)"]


def test_print_hides_the_contents_and_keeps_the_text(built_repo, browser):
    with opened(browser, built_repo / MANUSCRIPT) as page:
        page.emulate_media(media="print")
        assert page.locator("nav#TOC").is_hidden()
        assert page.locator("#sec\\:abstract").is_visible()


def test_the_page_is_one_file_under_a_megabyte_that_loads_nothing_else(built_repo, browser):
    path = built_repo / MANUSCRIPT
    assert path.stat().st_size < 1_000_000
    context = browser.new_context(**DESKTOP)
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="networkidle")
    page.locator("a[role='doc-biblioref']").first.hover()
    context.close()
    assert [url for url in requested if not url.startswith("data:")] == [path.as_uri()]
