"""Steps of the core: settings files and the numbers registry.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("manuscript")


def write_setting(input, output, params, wildcards) -> None:
    """``params`` is the build's config: the rule passes it whole."""
    from manuscript_engine.core.settings import write_setting as write

    write(params, wildcards.key, output[0])


def numbers_registry(input, output, params, wildcards) -> None:
    from manuscript_engine.core.registry import NumbersRegistry

    # One registry from every step's numbers; a key defined twice is an error.
    NumbersRegistry.from_json(*input.parts).to_json(Path(output.numbers))
