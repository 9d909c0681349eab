"""Steps of the core: settings files and the numbers registry.

Each step takes the rule's ``input``, ``output``, ``params`` and ``wildcards`` and is run
by :func:`manuscript_engine.core.step_runner.run_in_process`; the rule names it as
``"manuscript_engine.core.steps:<function>"``. Imports stay inside each function,
so a rule's computed code inputs are the modules its own step uses.
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
