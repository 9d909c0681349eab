"""make preview in a real browser: the open page follows the author's edits by itself.

The preview runs in a built copy of the repository; Chromium opens the manuscript and the
test only edits templates, never reloads the page. An edit shows up; a key that does not
exist turns the page into the build's message (template and line); the fix brings the
manuscript back; Ctrl-C stops the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from browser_harness import needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]

CONCLUSION = "templates/sections/06-conclusion.md.j2"
SENTENCE = "Longer follow-up and larger, preferably randomised, studies are needed."
EDITED = "Longer follow-up and larger, preferably randomised, studies are needed (preview)."
BROKEN = "Broken on purpose: {{ num('no.such.key') }}."
WAIT_MS = 120_000  # a rebuild of the text takes a few seconds; a loaded machine more


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_first_build(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0]
        try:
            with urllib.request.urlopen(url + "__preview/status", timeout=2) as response:
                if json.load(response)["generation"] >= 1:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("the preview's first build did not finish in 120 s")


@pytest.fixture
def preview_server(fresh_copy):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "manuscript_engine.cli.preview"]
        + ["--port", str(port), "--interval", "0.2", "--cores", "2"],
        cwd=fresh_copy,
        env={**os.environ, "PYTHONPATH": str(fresh_copy / "workflow")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C works even when the test run itself ignores SIGINT (a background job).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_first_build(url, server)
        yield fresh_copy, url, server
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


def test_the_page_follows_edits_shows_a_failed_build_and_comes_back(preview_server, browser):
    repo, url, server = preview_server
    template = repo / CONCLUSION
    original = template.read_text(encoding="utf-8")
    assert SENTENCE in original
    page = browser.new_page()
    page.goto(url)
    assert page.url.endswith("/manuscript/manuscript.html")
    page.get_by_text(SENTENCE).wait_for()

    template.write_text(original.replace(SENTENCE, EDITED), encoding="utf-8")
    page.locator("#preview-rebuilding").wait_for(state="visible", timeout=WAIT_MS)
    page.get_by_text(EDITED).wait_for(timeout=WAIT_MS)
    on_disk = (repo / "results/manuscript/manuscript.html").read_text(encoding="utf-8")
    assert EDITED in " ".join(on_disk.split())
    assert "preview-rebuilding" not in on_disk  # the built file stays make paper's

    template.write_text(original.replace(SENTENCE, EDITED + "\n" + BROKEN), encoding="utf-8")
    message = page.locator("#preview-build-error")
    message.wait_for(timeout=WAIT_MS)
    shown = message.inner_text()
    assert f"{CONCLUSION} line" in shown
    assert "there is no number with the key 'no.such.key'" in shown
    assert "make numbers" in shown  # what to do, in make paper's words
    assert page.get_by_text(EDITED).count() == 0  # not the stale manuscript

    template.write_text(original, encoding="utf-8")
    page.get_by_text(SENTENCE).wait_for(timeout=WAIT_MS)
    assert page.locator("#preview-build-error").count() == 0

    server.send_signal(signal.SIGINT)
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 0 and "Stopped the preview." in output
