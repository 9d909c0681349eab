"""The web server behind ``make preview``: the built pages, live, on this computer only.

It serves the files under ``results/`` and nothing else. Every HTML page it sends gets a
small script, added to the response and never to the file on disk (the built files stay
those of ``make paper``), that asks the server every second or so whether a build has
finished since the page was sent, reloads the page when one has, and shows a small
"Rebuilding" marker while a build runs. After a failed build every HTML page is replaced
by the build's own error message, until a build succeeds again.
"""

from __future__ import annotations

import html
import json
import mimetypes
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
"""Only this computer can open the preview: a draft manuscript is not for the network."""
STATUS_PATH = "/__preview/status"
START_PAGE = "/manuscript/manuscript.html"
HTML_TYPES = (".html", ".htm")
SHUTDOWN_CHECK_MS = 50
"""How often the server looks for a request to stop: Ctrl-C ends it without a wait."""


@dataclass(frozen=True)
class BuildStatus:
    """What the pages need to know about the builds: a snapshot, safe to share."""

    generation: int = 0
    """How many builds have finished; a page served at an earlier one is out of date."""
    building: bool = False
    error: str | None = None
    """What the last build printed when it stopped; None after a successful build."""

    def as_json(self) -> str:
        return json.dumps(
            {"generation": self.generation, "building": self.building, "failed": bool(self.error)}
        )


class PreviewState:
    """The builds' status, shared between the build loop and the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status = BuildStatus()

    def current(self) -> BuildStatus:
        with self._lock:
            return self._status

    def build_started(self) -> None:
        with self._lock:
            self._status = BuildStatus(self._status.generation, True, self._status.error)

    def build_finished(self, error: str | None) -> None:
        with self._lock:
            self._status = BuildStatus(self._status.generation + 1, False, error)


# --------------------------------------------------------------------------- what a page gets
RELOADER = """
<div id="preview-rebuilding" role="status" aria-live="polite" hidden
  style="position:fixed;right:1rem;bottom:1rem;z-index:2147483647;padding:.4rem .8rem;
  border-radius:.4rem;background:#1d3557;color:#fff;font:600 .9rem/1.3 system-ui,sans-serif;
  box-shadow:0 2px 8px rgba(0,0,0,.3)">Rebuilding&hellip;</div>
<script>
(() => {
  const served = __GENERATION__;
  const marker = document.getElementById("preview-rebuilding");
  const key = "preview-scroll:" + location.pathname;
  const kept = sessionStorage.getItem(key);
  if (kept !== null) {
    sessionStorage.removeItem(key);
    addEventListener("load", () => scrollTo(0, Number(kept)));
  }
  const ask = () => fetch("__STATUS__", {cache: "no-store"})
    .then(response => response.json())
    .then(status => {
      if (status.generation !== served) {
        sessionStorage.setItem(key, String(scrollY));
        location.reload();
        return;
      }
      marker.hidden = !status.building;
      setTimeout(ask, __INTERVAL__);
    })
    .catch(() => setTimeout(ask, __INTERVAL__));
  setTimeout(ask, __INTERVAL__);
})();
</script>
"""
"""Polling rather than server-sent events: a request a second is nothing on a laptop,
and no connection is held open (Ctrl-C never waits for a browser tab)."""


def reloader(generation: int, interval_ms: int) -> str:
    """The script a served page gets; only integers of the engine's own go into it."""
    return (
        RELOADER.replace("__GENERATION__", str(int(generation)))
        .replace("__INTERVAL__", str(int(interval_ms)))
        .replace("__STATUS__", STATUS_PATH)
    )


def with_reloader(page: str, generation: int, interval_ms: int) -> str:
    """``page`` with the reloader before its closing ``</body>`` (at its end if none)."""
    script = reloader(generation, interval_ms)
    at = page.lower().rfind("</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The build stopped (preview)</title>
<style>
body { margin: 0; font: 1rem/1.5 system-ui, sans-serif; background: #fdf6f6; color: #1a1a1a; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { color: #8b1a1a; font-size: 1.5rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; padding: 1rem;
  border: 1px solid #d9a5a5; border-left: .4rem solid #b22222; border-radius: .3rem;
  font: .95rem/1.5 ui-monospace, monospace; }
@media (prefers-color-scheme: dark) {
  body { background: #1e1414; color: #eee; } h1 { color: #ff9b9b; }
  pre { background: #2a1d1d; border-color: #6b3b3b; }
}
</style>
</head>
<body>
<main>
<h1>The build stopped</h1>
<p>The manuscript was not rebuilt. Change what the message asks for and save: this page
turns back into the manuscript as soon as a build succeeds.</p>
<pre id="preview-build-error">__MESSAGE__</pre>
</main>
</body>
</html>
"""

WAITING_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Building (preview)</title></head>
<body style="font:1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto">
<main><h1>Building the manuscript</h1>
<p>The first build is running; this page shows the manuscript when it is done.</p></main>
</body>
</html>
"""


def error_page(message: str) -> str:
    """The build's message as a page; the message is escaped (it quotes template text)."""
    return ERROR_PAGE.replace("__MESSAGE__", html.escape(message.strip(), quote=True))


# --------------------------------------------------------------------------- serving files
def file_under(root: Path, url_path: str) -> Path | None:
    """The file a URL path names inside ``root``, or None for anything outside it.

    The path is decoded and resolved (``..``, links) before it is compared with ``root``,
    so no spelling of a path reaches a file the build did not write into ``results/``.
    """
    relative = unquote(url_path).lstrip("/")
    if "\x00" in relative or "\\" in relative:
        return None
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if target != base and base not in target.parents:
        return None
    return target if target.is_file() else None


class PreviewHandler(BaseHTTPRequestHandler):
    """GET only; the server object carries the root folder, the state and the interval."""

    server: PreviewServer
    server_version = "manuscript-preview"
    sys_version = ""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        status = self.server.state.current()
        if path == STATUS_PATH:
            self._send(HTTPStatus.OK, status.as_json().encode(), "application/json")
            return
        if path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", START_PAGE)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = file_under(self.server.root, path)
        is_page = path.lower().endswith(HTML_TYPES)
        if is_page and status.error:
            self._send_page(error_page(status.error), status)
        elif target is None and path == START_PAGE and status.generation == 0:
            self._send_page(WAITING_PAGE, status)
        elif target is None:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8")
        elif is_page:
            self._send_page(target.read_text(encoding="utf-8"), status)
        else:
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(HTTPStatus.OK, target.read_bytes(), kind)

    def _send_page(self, page: str, status: BuildStatus) -> None:
        body = with_reloader(page, status.generation, self.server.interval_ms)
        self._send(HTTPStatus.OK, body.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, code: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the terminal is for the build's messages, not for every request."""


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A tab closed mid-answer is no error; anything else is reported as usual.

        Kept off the terminal also because a build's output is being recorded there.
        """
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, root: Path, state: PreviewState, port: int, interval_ms: int) -> None:
        self.root = root
        self.state = state
        self.interval_ms = interval_ms
        super().__init__((HOST, port), PreviewHandler)


def start(root: Path, state: PreviewState, port: int, interval_ms: int) -> PreviewServer:
    """Serve in a background thread (the build needs the main thread for its signals).

    Raises OSError when the port is taken.
    """
    server = PreviewServer(root, state, port, interval_ms)
    serving = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_CHECK_MS / 1000},
        name="preview-server",
    )
    serving.daemon = True
    serving.start()
    return server
