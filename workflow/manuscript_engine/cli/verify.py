"""`make verify`: recompute every hash the manifest and the build's ledger vouch for.

The manifest (``results/manuscript/manifest.json``) lists the SHA-256 of every input
(data, config, templates) and every manuscript file; the ledger (``.snakemake/trusted``)
lists every file each step wrote. A reader checks a manuscript against both: this
exits 0 only when every listed file is present with the recorded hash, and the
manifest itself is the one the build wrote.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from manuscript_engine.core.trust import LEDGER, check, records, sha256
from manuscript_engine.output.manifest import git_commit

MANIFEST = Path("results/manuscript/manifest.json")


def problems(manifest_path: Path = MANIFEST, ledger: Path = LEDGER) -> list[str]:
    """Every file that does not match what the manifest or the ledger records."""
    known = records(ledger)
    if not manifest_path.exists():
        return [
            f"{manifest_path} is missing: the last build did not finish (or was never run). "
            "Run `make paper`."
        ]
    found = []
    manifest_key = manifest_path.as_posix()
    if manifest_key not in known:
        found.append(f"{manifest_key} was not written by this build.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {**manifest["inputs"], **manifest["outputs"]}
        listed = {str(path): str(digest) for path, digest in listed.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return [*found, f"{manifest_key} is damaged: it is not the manifest the build writes."]
    for path, digest in sorted(listed.items()):
        if not Path(path).exists():
            found.append(f"{path} is missing (listed in the manifest).")
        elif sha256(path) != digest:
            found.append(f"{path} differs from the manifest's SHA-256.")
    for path, entry in sorted(known.items()):  # the manifest's own record included
        if reason := check(path, entry, rehash=True):
            found.append(f"{path} {reason}.")
    return found


def main() -> int:
    found = problems()
    if found:
        print(f"Verification FAILED: {len(found)} problem(s).", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        return 1
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))  # read and checked above
    checked = len(manifest["inputs"]) + len(manifest["outputs"])
    print(f"Verified: {checked} files listed in {MANIFEST} and {len(records())} build products.")
    if manifest.get("commit") != git_commit():
        print(
            f"Note: built from commit {manifest.get('commit')}; the checkout is at {git_commit()}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
