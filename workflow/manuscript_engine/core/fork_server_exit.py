"""Imported first by the step workers' fork server: its exit skips Python's final
teardown.

Asked to stop at the end of a build, the fork server spent 0.15 to 0.35 s tearing down
pandas, SciPy and matplotlib (Python's last garbage collections and module cleanup),
which every build waited for. Its exit handlers still run (matplotlib removes the
temporary folder it made when the user's own was not writable), this one last, as it
was registered first; then the process ends at once. The workers forked from it end
through multiprocessing's own ``os._exit`` and never run it.

Imported by any other process (a test, a tool listing modules) it does nothing: there
the handler would replace the process's exit status with 0.
"""

import atexit
import os
import sys


def _imported_by_the_fork_server() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "multiprocessing.forkserver":
            return True
        frame = frame.f_back
    return False


if _imported_by_the_fork_server():
    atexit.register(os._exit, 0)
