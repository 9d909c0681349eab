"""`make preview`: the manuscript in the browser, rebuilt and reloaded as the author works.

Watches what ``make watch`` watches, runs the same build as ``make paper`` (one at a
time), and serves results/ at http://127.0.0.1:PORT/ (see :mod:`preview_server`). The
open page reloads itself after each build; after a failed one it shows the words
``make paper`` prints, so the author need not look at the terminal.
"""

from __future__ import annotations

import argparse
import errno
import io
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from manuscript_engine.cli import preview_server
from manuscript_engine.cli.build import main as build
from manuscript_engine.cli.watch import WATCHED_SHOWN, changes

RESULTS = Path("results")
DEFAULT_PORT = 8000
PORT_TAKEN = (
    "Port {port} is already in use on this computer (another preview, or another "
    "program). Stop it, or choose another port: make preview PORT={other}"
)


class Tee(io.TextIOBase):
    """Write to the terminal and keep a copy: the author sees the build in both places."""

    def __init__(self, terminal) -> None:
        self.terminal = terminal
        self.kept = io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.terminal.flush()
        return self.kept.write(text)

    def flush(self) -> None:
        self.terminal.flush()


class Rebuilder:
    """Runs the build and records its outcome in the shared state, never two at once.

    ``build`` is ``make paper``'s entry point (argv in, exit status out); what it prints
    on stderr when it stops is the message the pages show.
    """

    def __init__(
        self,
        state: preview_server.PreviewState,
        build: Callable[[list[str]], int] = build,
        argv: Sequence[str] = (),
    ) -> None:
        self.state = state
        self.build = build
        self.argv = list(argv)
        self._one_at_a_time = threading.Lock()

    def rebuild(self) -> bool | None:
        """Build once; True if it worked, False if it stopped, None if a build was running."""
        if not self._one_at_a_time.acquire(blocking=False):
            return None
        try:
            self.state.build_started()
            errors = Tee(sys.stderr)
            status = 1
            try:
                with redirect_stdout(Tee(sys.stdout)), redirect_stderr(errors):
                    status = self.build(list(self.argv))
            finally:
                message = errors.kept.getvalue().strip() or f"The build stopped (status {status})."
                self.state.build_finished(None if status == 0 else message)
            return status == 0
        finally:
            self._one_at_a_time.release()


def serve_and_rebuild(port: int, interval: float, cores: str, rounds: int | None = None) -> int:
    """The preview until Ctrl-C (or ``rounds`` builds, for tests)."""
    state = preview_server.PreviewState()
    try:
        server = preview_server.start(RESULTS, state, port, round(interval * 1000))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(PORT_TAKEN.format(port=port, other=port + 1), file=sys.stderr)
        return 1
    address = f"http://{preview_server.HOST}:{server.server_address[1]}/"
    print(
        f"Preview at {address} (this computer only). Watching {WATCHED_SHOWN}; Ctrl-C to stop.",
        flush=True,
    )
    rebuilder = Rebuilder(state, argv=["--cores", cores])
    try:
        for _ in changes(interval, rounds):
            started = time.monotonic()
            worked = rebuilder.rebuild()
            took = time.monotonic() - started
            outcome = "rebuilt" if worked else "build stopped (the page shows why)"
            print(f"[{time.strftime('%H:%M:%S')}] {outcome} in {took:.1f} s", flush=True)
    except (KeyboardInterrupt, SystemExit):  # SystemExit: make paper's interrupted build
        print("Stopped the preview.", flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return 0


def _stop_on_sigterm(signum, frame) -> None:
    """``kill`` stops the preview as Ctrl-C does (a build in progress relays it itself)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between looks (default 1)"
    )
    parser.add_argument("--cores", default="4")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    return serve_and_rebuild(args.port, args.interval, args.cores)


if __name__ == "__main__":
    sys.exit(main())
