"""The pinned environment: requirements.txt and environment.yml must agree."""

import re

import yaml
from conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-]+)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_in(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        pins[normalise(match.group(1))] = match.group(2)
    return pins


def requirements_pins() -> dict[str, str]:
    return pins_in((REPO / "requirements.txt").read_text().splitlines())


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return pins_in(pip_sections[0])


def test_every_requirement_is_an_exact_pin():
    pins = requirements_pins()
    for needed in (
        "snakemake",
        "pandas",
        "scipy",
        "matplotlib",
        "jinja2",
        "pypandoc",
        "pypandoc-binary",
        "typst",
        "pandera",
        "pytest",
        "ruff",
        "snakefmt",
    ):
        assert needed in pins, f"{needed} is not pinned in requirements.txt"
    assert pins["snakemake"].startswith("9."), "the pipeline is written for Snakemake 9"


def test_environment_yml_pins_the_same_versions_as_requirements_txt():
    assert conda_pins() == requirements_pins()


def test_environment_yml_python_is_at_least_3_11():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python, "environment.yml must pin python"
    major, minor = (int(x) for x in python[0].split("=")[1].split(".")[:2])
    assert (major, minor) >= (3, 11)


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for name, pinned in requirements_pins().items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"
