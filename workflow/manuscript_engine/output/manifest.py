"""The build manifest: what went in, what came out, and the software that made it.

Every file is listed with its SHA-256, so a reader can check that a manuscript came
from a given commit, cohort and set of templates. Nothing time-dependent is recorded,
so two builds of one commit write the same manifest.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.software import software_versions
from manuscript_engine.core.trust import sha256


def git_commit() -> str:
    """The commit checked out, or a note when this is not a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return result.stdout.strip()


def uncommitted_changes() -> list[str]:
    """Files that differ from the commit (a build from an edited checkout says so)."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line[3:] for line in result.stdout.splitlines() if line.strip())


def write_manifest(inputs: list[str], outputs: list[str], path: Path) -> None:
    manifest = {
        "commit": git_commit(),
        "uncommitted_changes": uncommitted_changes(),
        "software": software_versions(),
        "inputs": {str(p): sha256(p) for p in sorted(set(map(str, inputs)))},
        "outputs": {str(p): sha256(p) for p in sorted(set(map(str, outputs)))},
    }
    write_text_atomically(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
