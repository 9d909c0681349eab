"""The build manifest: what went in, what came out, and the software that made it.

Every file is listed with its SHA-256, so a reader can check that a manuscript came
from a given commit, cohort and set of templates. Nothing time-dependent is recorded,
so two builds of one commit write the same manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.checkout import git_commit, uncommitted_changes
from manuscript_engine.core.software import software_versions
from manuscript_engine.core.trust import sha256


def write_manifest(inputs: list[str], outputs: list[str], path: Path) -> None:
    manifest = {
        "commit": git_commit(),
        "uncommitted_changes": uncommitted_changes(),
        "software": software_versions(),
        "inputs": {str(p): sha256(p) for p in sorted(set(map(str, inputs)))},
        "outputs": {str(p): sha256(p) for p in sorted(set(map(str, outputs)))},
    }
    write_text_atomically(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
