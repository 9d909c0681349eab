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


def test_axe_core_finds_no_wcag_21_aa_violation(built_repo, browser):
    page = browser.new_page()
    page.goto((built_repo / "results/manuscript/manuscript.html").as_uri())
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
