"""make preview: the server, the script it adds to pages, the error page, one build at a time.

The whole loop in a real browser (edit, break, fix) is in test_preview_browser.py.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading

import pytest

from manuscript_engine.cli import preview, preview_server
from manuscript_engine.cli.preview_server import (
    PreviewState,
    error_page,
    file_under,
    with_reloader,
)
from manuscript_engine.cli.watch import changes

PAGE = "<!DOCTYPE html>\n<html lang='en'><body><p>Results</p></body></html>\n"


@pytest.fixture
def site(tmp_path):
    """A results/ folder with a page and a figure, and a secret file beside it."""
    results = tmp_path / "results"
    (results / "manuscript").mkdir(parents=True)
    (results / "manuscript" / "manuscript.html").write_text(PAGE, encoding="utf-8")
    (results / "figures").mkdir()
    (results / "figures" / "flow.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "secret.txt").write_text("outside results", encoding="utf-8")
    return results


@pytest.fixture
def server(site):
    state = PreviewState()
    running = preview_server.start(site, state, 0, 250)
    yield running
    running.shutdown()
    running.server_close()


def get(server, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """A request with the path sent exactly as written (http.client does not tidy it)."""
    connection = http.client.HTTPConnection(*server.server_address, timeout=5)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------- the script
def test_the_reloader_goes_before_the_closing_body_with_the_generation_and_interval():
    page = with_reloader(PAGE, generation=7, interval_ms=250)
    assert page.index("<script>") < page.index("</body>")
    assert "const served = 7;" in page and "setTimeout(ask, 250)" in page
    assert page.startswith(PAGE.split("</body>")[0]) and page.endswith("</body></html>\n")


def test_a_page_without_a_body_tag_gets_the_reloader_at_its_end():
    assert with_reloader("<p>bare</p>", 1, 100).startswith("<p>bare</p>\n<div")


def test_only_integers_reach_the_script():
    with pytest.raises((TypeError, ValueError)):
        preview_server.reloader("1; alert(1)", 100)


def test_the_served_page_has_the_script_and_the_file_on_disk_stays_as_built(server, site):
    on_disk = (site / "manuscript" / "manuscript.html").read_bytes()
    status, headers, body = get(server, "/manuscript/manuscript.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"preview-rebuilding" in body and b"/__preview/status" in body
    assert (site / "manuscript" / "manuscript.html").read_bytes() == on_disk
    assert headers["Cache-Control"] == "no-store"


def test_other_files_are_served_as_they_are(server):
    status, headers, body = get(server, "/figures/flow.png")
    assert (status, headers["Content-Type"], body) == (200, "image/png", b"\x89PNG not really")


def test_head_answers_the_headers_without_the_body(server):
    status, headers, body = get(server, "/figures/flow.png", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "15", b"")


def test_the_root_leads_to_the_manuscript(server):
    status, headers, _ = get(server, "/")
    assert status == 302 and headers["Location"] == "/manuscript/manuscript.html"


def test_the_status_tells_the_page_whether_a_build_runs_or_failed(server):
    server.state.build_started()
    assert json.loads(get(server, "/__preview/status")[2]) == {
        "generation": 0,
        "building": True,
        "failed": False,
    }
    server.state.build_finished("it broke")
    assert json.loads(get(server, "/__preview/status")[2]) == {
        "generation": 1,
        "building": False,
        "failed": True,
    }


def test_the_server_listens_on_this_computer_only(server):
    assert server.server_address[0] == "127.0.0.1"


# --------------------------------------------------------------------------- the error page
def test_the_error_page_escapes_the_message_it_quotes():
    message = "templates/sections/04-results.md.j2 line 3: <script>alert('x')</script> & more"
    page = error_page(message)
    assert "<script>" not in page and "alert(&#x27;x&#x27;)" in page
    assert "&lt;script&gt;" in page and "&amp; more" in page
    assert "templates/sections/04-results.md.j2 line 3" in page


def test_after_a_failed_build_pages_show_the_message_and_come_back_after_a_success(server):
    server.state.build_finished("line 14: {{ num('no.such.key') }} <b>")
    status, _, body = get(server, "/manuscript/manuscript.html")
    assert status == 200 and b"The build stopped" in body and b"Results" not in body
    assert b"no.such.key" in body and b"&lt;b&gt;" in body and b"preview-rebuilding" in body
    assert get(server, "/figures/flow.png")[0] == 200  # figures still load
    server.state.build_finished(None)
    assert b"<p>Results</p>" in get(server, "/manuscript/manuscript.html")[2]


def test_before_the_first_build_a_missing_manuscript_shows_a_waiting_page(tmp_path):
    state = PreviewState()
    running = preview_server.start(tmp_path, state, 0, 250)
    try:
        status, _, body = get(running, "/manuscript/manuscript.html")
        assert status == 200 and b"Building the manuscript" in body
        state.build_finished(None)
        assert get(running, "/manuscript/manuscript.html")[0] == 404
    finally:
        running.shutdown()
        running.server_close()


# --------------------------------------------------------------------------- outside results/
@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/manuscript/../../secret.txt",
        "/manuscript/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/..%5csecret.txt",
        "/manuscript/manuscript.html%00.png",
        "/manuscript/",
    ],
)
def test_nothing_outside_results_is_served(server, path):
    status, _, body = get(server, path)
    assert status == 404 and b"outside results" not in body


def test_a_link_out_of_results_is_refused(site):
    (site / "escape").symlink_to(site.parent / "secret.txt")
    (site / "up").symlink_to(site.parent)
    assert file_under(site, "/escape") is None
    assert file_under(site, "/up/secret.txt") is None
    assert file_under(site, "/figures/flow.png") == (site / "figures" / "flow.png").resolve()


# --------------------------------------------------------------------------- the builds
def test_one_build_at_a_time(monkeypatch):
    state = PreviewState()
    entered, release = threading.Event(), threading.Event()
    calls = []

    def slow_build(argv):
        calls.append(argv)
        entered.set()
        release.wait(5)
        return 0

    rebuilder = preview.Rebuilder(state, slow_build, ["--cores", "1"])
    first = threading.Thread(target=rebuilder.rebuild)
    first.start()
    assert entered.wait(5)
    assert state.current().building
    assert rebuilder.rebuild() is None  # refused while the first runs
    release.set()
    first.join(5)
    assert calls == [["--cores", "1"]]
    assert state.current().generation == 1 and not state.current().building
    assert rebuilder.rebuild() is True and len(calls) == 2


def test_a_failed_build_leaves_its_printed_message_and_a_success_clears_it(capsys):
    state = PreviewState()

    def failing(argv):
        print("Rebuilt nothing.")
        print("The build stopped.\n\ntemplates/a.md.j2 line 2: bad", file=__import__("sys").stderr)
        return 1

    assert preview.Rebuilder(state, failing).rebuild() is False
    assert state.current().error == "The build stopped.\n\ntemplates/a.md.j2 line 2: bad"
    shown = capsys.readouterr()
    assert "line 2: bad" in shown.err and "Rebuilt nothing." in shown.out  # terminal too
    assert preview.Rebuilder(state, lambda argv: 0).rebuild() is True
    assert state.current().error is None and state.current().generation == 2


def test_a_build_that_raises_still_ends_in_a_failed_state():
    state = PreviewState()

    def interrupted(argv):
        raise SystemExit(130)

    with pytest.raises(SystemExit):
        preview.Rebuilder(state, interrupted).rebuild()
    assert state.current().error and not state.current().building


def test_a_taken_port_is_named_with_a_way_out(capsys):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        assert preview.serve_and_rebuild(port, 0.1, "1", rounds=1) == 1
    finally:
        taken.close()
    message = capsys.readouterr().err
    assert f"Port {port} is already in use" in message and f"PORT={port + 1}" in message


def test_the_watch_yields_at_the_start_and_after_a_change(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "a.md.j2"
    page.write_text("one")
    seen = 0
    for _ in changes(interval=0.01, rounds=2):
        seen += 1
        page.write_text("two")
        os.utime(page, (seen, seen))
    assert seen == 2
