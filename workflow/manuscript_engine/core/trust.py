"""The trust ledger: which files under ``results/`` the build itself wrote, and as what.

Snakemake decides what to rerun from file dates, so a file in ``results/`` that was
deleted, truncated or edited by hand can look "up to date": a manuscript edited in
place survives the rebuild, a deleted intermediate is never remade, and after a failed
step the next build reports success on the old outputs. The ledger closes that gap.

- Every step, when it succeeds, records each file it wrote: its SHA-256, its size and
  the inputs it was built from (:func:`record`), one small JSON file per output under
  ``.snakemake/trusted/`` (outside ``results/``, so editing results cannot also edit the
  record). Snakemake deletes the outputs of a step that fails, so their old records
  no longer match.
- Each build starts by checking every record (:func:`untrusted_files`) and tells
  Snakemake to rebuild what no longer matches, and every file a rule produces that
  has no record at all (copied in, or left by an older build). After a failed step the
  next build therefore fails the same way until the cause is fixed.
- Each step checks the files it reads from ``results/`` before using them
  (:func:`require_trusted`), so a file changed while a build runs is refused.
- Before a step rewrites a file, the certificates built from it (the manifest, the
  format report) are withdrawn (:func:`withdraw_certificates`): a certificate never
  sits beside files it does not describe, even after a killed build.

A record is only re-hashed when the file's size, modification time, change time or
inode differ from those recorded; the change time cannot be set back by a user, so an
edit is always re-hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from manuscript_engine.core.atomic_files import write_text_atomically

LEDGER = Path(".snakemake/trusted")
CHUNK = 1 << 20
_writing = threading.Lock()


def sha256(path: str | Path) -> str:
    return _hash_and_stamp(path)[0]


def _stamp(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _record_path(output: str, ledger: Path) -> Path:
    return ledger / (quote(Path(output).as_posix(), safe="") + ".json")


def record(
    outputs: Iterable[str],
    inputs: Iterable[str],
    certificate: bool = False,
    ledger: Path = LEDGER,
) -> None:
    """Record the files a step has just written, with the inputs they came from.

    ``certificate`` marks files that vouch for others (a manifest, a format report):
    they are withdrawn whenever one of the files they describe is rewritten.
    """
    ledger.mkdir(parents=True, exist_ok=True)
    sources = sorted({Path(p).as_posix() for p in inputs})
    for output in outputs:
        entry = {
            "path": Path(output).as_posix(),
            "sha256": sha256(output),
            "stamp": _stamp(os.stat(output)),
            "inputs": sources,
            "certificate": certificate,
        }
        with _writing:
            write_text_atomically(_record_path(output, ledger), json.dumps(entry, sort_keys=True))


def records(ledger: Path = LEDGER) -> dict[str, dict]:
    """Every record in the ledger, by output path (a damaged record counts as none)."""
    found = {}
    if not ledger.is_dir():
        return found
    for path in ledger.glob("*.json"):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            found[entry["path"]] = entry
        except (OSError, ValueError, KeyError, TypeError):
            found.setdefault(unquote(path.name.removesuffix(".json")), {})
    return found


MISSING = "is missing"


@dataclass(frozen=True)
class Untrusted:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path} {self.reason}"


def check(path: str, entry: dict, rehash: bool = False) -> str | None:
    """Why ``path`` no longer matches its record, or None when it does.

    ``rehash`` hashes the file even when its stamp is unchanged (for ``make verify``).
    """
    return _matched(path, entry, rehash)[0]


def _matched(path: str, entry: dict, rehash: bool = False) -> tuple[str | None, list[int] | None]:
    """:func:`check`'s answer, and the stamp the file had when its bytes were hashed and
    found to match (None when they were not hashed)."""
    if not entry or "sha256" not in entry or len(entry.get("stamp") or ()) != 4:
        return "has a damaged build record", None
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return MISSING, None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})", None
    if stat.st_size != entry["stamp"][0]:
        return "was changed after the build wrote it", None
    if _stamp(stat) == entry["stamp"] and not rehash:
        return None, None
    digest, hashed = _hash_and_stamp(path)
    if digest != entry["sha256"]:
        return "was changed after the build wrote it", None
    return None, hashed


def _hash_and_stamp(path: str | Path) -> tuple[str, list[int] | None]:
    """The file's SHA-256, and its stamp if it kept the same one while it was read
    (taken from the open file, so the stamp is that of the bytes hashed)."""
    with open(path, "rb") as stream:
        before = _stamp(os.fstat(stream.fileno()))
        digest = hashlib.sha256()
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
        after = _stamp(os.fstat(stream.fileno()))
    return digest.hexdigest(), (before if before == after else None)


def _restamp(path: str, entry: dict, hashed: list[int], ledger: Path) -> None:
    """Give a record whose file was just hashed and matched the stamp it had then.

    Snakemake touches a step's outputs after the step has recorded them, so without this
    every build would hash every result again (hundreds of megabytes on a registry).
    The record is rewritten only if the file still has that stamp and the record is still
    the one that was matched (a step may have recorded the file anew meanwhile).
    """
    record_file = _record_path(path, ledger)
    try:
        with _writing:
            current = json.loads(record_file.read_text(encoding="utf-8"))
            if current != entry or _stamp(os.stat(path)) != hashed:
                return
            write_text_atomically(
                record_file, json.dumps({**entry, "stamp": hashed}, sort_keys=True)
            )
    except (OSError, ValueError):  # a read-only checkout, say: hashed again next time
        pass


def untrusted_files(
    *,
    results: Path = Path("results"),
    produced_by_a_rule: Callable[[str], bool] = lambda path: True,
    ledger: Path = LEDGER,
    ignored: tuple[str, ...] = ("logs",),
    known: dict[str, dict] | None = None,
    restamp: bool = True,
) -> list[Untrusted]:
    """Recorded files that no longer match, and rule outputs the build never recorded.

    ``restamp`` lets a record take the new stamp of a file that was hashed and matched
    (a dry run, which may run beside a build, writes nothing).

    ``produced_by_a_rule(path)`` says whether some rule writes ``path``; a file in
    ``results/`` that no rule writes (a report, a benchmark) is not the build's to judge,
    and neither is a recorded file no rule writes any more (its record is forgotten).
    It is asked only about files that do not match, so a build with nothing to do
    spends no time matching paths against rules.
    """
    known = records(ledger) if known is None else known
    problems = []
    for path, entry in sorted(known.items()):
        reason, hashed = _matched(path, entry)
        if reason is None:
            if hashed is not None and restamp:
                _restamp(path, entry, hashed, ledger)
        elif produced_by_a_rule(path):
            problems.append(Untrusted(path, reason))
        else:
            _record_path(path, ledger).unlink(missing_ok=True)
    for path in _files_under(results, ignored):
        if path not in known and produced_by_a_rule(path):
            problems.append(Untrusted(path, NOT_RECORDED))
    return problems


NOT_RECORDED = "was not written by this build"


def files_to_rebuild(
    produced_by_a_rule: Callable[[str], bool],
    targets: set[str] | None = None,
    *,
    results: Path = Path("results"),
    ledger: Path = LEDGER,
    ignored: tuple[str, ...] = ("logs",),
    restamp: bool = True,
) -> list[Untrusted]:
    """The untrusted files a build of ``targets`` (files; None: everything) must remake.

    A recorded file counts only when a target is built from it, so ``make numbers``
    does not rebuild an edited manuscript; a file with no record counts always (nothing
    says what it feeds).
    """
    known = records(ledger)
    found = untrusted_files(
        results=results,
        produced_by_a_rule=produced_by_a_rule,
        ledger=ledger,
        ignored=ignored,
        known=known,
        restamp=restamp,
    )
    if targets is None:
        return found
    return [
        item
        for item in found
        if item.reason == NOT_RECORDED
        or item.path in targets
        or targets & downstream([item.path], known)
    ]


def _files_under(results: Path, ignored: tuple[str, ...]) -> Iterator[str]:
    if not results.is_dir():
        return
    for folder, subfolders, files in os.walk(results):
        if Path(folder) == results:
            subfolders[:] = [name for name in subfolders if name not in ignored]
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if not name.startswith("."):
                yield (Path(folder) / name).as_posix()


def refuse_committed_build_state(folders: tuple[str, ...] = ("results", ".snakemake")) -> None:
    """Refuse a checkout whose commit carries build products or the ledger itself.

    A pull request could commit ``results/`` with a matching ledger and Snakemake state,
    and a fresh clone would then take them as built; the build only trusts what it wrote.
    """
    import subprocess

    from manuscript_engine.core.errors import ManuscriptError

    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", *folders], capture_output=True, text=True, timeout=30
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return  # not a git checkout: nothing can have been committed
    if listed:
        shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        raise ManuscriptError(
            f"This commit holds files the build writes ({shown}). The build never takes "
            "them from a commit: remove them from git with "
            f"`git rm -r --cached {' '.join(folders)}` and build again."
        )


def require_trusted(
    paths: Iterable[str], ledger: Path = LEDGER, known: dict[str, dict] | None = None
) -> None:
    """Refuse to read a build product that does not match what the build wrote."""
    from manuscript_engine.core.errors import ManuscriptError

    known = records(ledger) if known is None else known
    bad = []
    for path in map(lambda p: Path(p).as_posix(), paths):
        reason, hashed = _matched(path, known[path]) if path in known else (NOT_RECORDED, None)
        if reason:
            bad.append(f"  - {path} {reason}.")
        elif hashed is not None:  # the next step that reads it need not hash it again
            _restamp(path, known[path], hashed, ledger)
    if bad:
        raise ManuscriptError(
            "Files this step reads were changed after the build wrote them:\n"
            + "\n".join(bad)
            + "\nFiles under results/ are written by the build only. Run `make paper` "
            "again: it rebuilds them from the data and templates."
        )


def downstream(paths: Iterable[str], known: dict[str, dict]) -> set[str]:
    """Every recorded file built, directly or not, from any of ``paths``."""
    built_from: dict[str, set[str]] = {}
    for output, entry in known.items():
        for source in entry.get("inputs", []):
            built_from.setdefault(source, set()).add(output)
    found: set[str] = set()
    pending = [Path(p).as_posix() for p in paths]
    while pending:
        for output in built_from.get(pending.pop(), ()):
            if output not in found:
                found.add(output)
                pending.append(output)
    return found


def withdraw_certificates(
    outputs: Iterable[str], ledger: Path = LEDGER, known: dict[str, dict] | None = None
) -> list[str]:
    """Delete the certificates built from files a step is about to rewrite."""
    known = records(ledger) if known is None else known
    withdrawn = []
    for path in sorted(downstream(outputs, known)):
        if known[path].get("certificate"):
            try:
                os.remove(path)  # another step may be withdrawing it at the same moment
                withdrawn.append(path)
            except FileNotFoundError:
                pass
            _record_path(path, ledger).unlink(missing_ok=True)
    return withdrawn
