"""Headless Chromium driven by Playwright, for tests that read the HTML as a browser does.

Playwright drives Debian's Chromium (``.ci/run`` installs it), not a browser of its own
download, so no ``playwright install`` is needed and nothing is fetched at test time.
axe-core (bundled in ``axe-playwright-python``) checks a page against WCAG 2.1 AA.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = next(
    filter(None, map(shutil.which, ["chromium", "google-chrome", "chromium-browser"])), None
)
"""Debian's Chromium (.ci/run), else the Chrome that GitHub's Ubuntu runners carry; Ubuntu's
chromium-browser is a snap, which Playwright drives badly, so it comes last."""
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
"""Without the background-networking flags Chromium keeps trying to reach Google's hosts,
which this machine's closed network refuses."""
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
)
"""Skips a browser test on a developer's machine without Chromium; in CI it fails instead."""


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Playwright's Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium must be installed in CI (.ci/run installs Debian's chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page, tags: list[str] = WCAG_21_AA) -> list[dict]:
    """axe-core's violations on the open page, for the given WCAG tags."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    return result.response["violations"]


def describe_violations(violations: list[dict]) -> str:
    """axe's findings as lines a person can act on: rule, help, and the first elements."""
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}: {targets}")
    return "\n".join(lines)
