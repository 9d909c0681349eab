"""The git checkout a build runs in: its commit and the files that differ from it.

Read by the manifest and by the HTML's provenance, so both name the same commit and
mark a build from an edited checkout the same way.
"""

from __future__ import annotations

import subprocess


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
