"""Running one pipeline step: log to the rule's log file, report author errors plainly.

A :class:`~vertebroplasty.errors.ManuscriptError` is printed as its message alone
(the author's instructions); any other exception keeps its stack trace, because it
is a bug for a programmer. Set ``MANUSCRIPT_VERBOSE=1`` to see traces for both.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ManuscriptError


def run_step(main: Callable[..., Any], log_path: str | Path | None, **kwargs: Any) -> None:
    """Call ``main(**kwargs)`` with logging sent to ``log_path``; exit 1 on an author error."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=handlers, force=True)
    try:
        main(**kwargs)
    except ManuscriptError as exc:
        if os.environ.get("MANUSCRIPT_VERBOSE"):
            logging.exception("ERROR")
        logging.error("\nERROR: %s\n", exc)
        sys.exit(1)
