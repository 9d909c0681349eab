"""Writing a file in one step: under its real name a file is complete, never half.

A build killed while pandoc, Typst or pandas is writing would otherwise leave a 0-byte
or truncated HTML, PDF or CSV behind. Each writer gets a hidden temporary name in the
same folder (so a rename is atomic and relative paths resolve the same way) and the file
takes its real name only once it is complete. (Snakemake deletes a job's old outputs
before the job starts, so after a kill a file is either complete or absent; the next
build remakes what is absent.)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL = ".partial-"
"""How the hidden name of a file being written begins."""


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path`` to; renamed to ``path`` when the block succeeds."""
    path = Path(path)
    temporary = path.with_name(f"{PARTIAL}{secrets.token_hex(4)}-{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text_atomically(path: str | Path, text: str) -> None:
    with atomic_output(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
