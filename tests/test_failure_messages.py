"""Failures outside the author's text get a plain-words message, from real exceptions."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2
import pytest
import typst

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.failure_messages import author_message, check_results_folder

NOBODY = 65534


def raised(action: Callable[[], object]) -> BaseException:
    with pytest.raises(BaseException) as caught:
        action()
    return caught.value


@contextmanager
def as_an_ordinary_user() -> Iterator[None]:
    """File permissions do not bind root, who may write anywhere: drop to 'nobody' for a while."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """An empty project folder as the working directory, as during a build."""
    tmp_path.chmod(0o755)  # open to 'nobody' as a project folder is to its user
    monkeypatch.chdir(tmp_path)
    return tmp_path


def read_numbers(path: str) -> dict:
    """Reads a JSON file as the steps do."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- disk and memory
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a disk that is full)")
def test_a_full_disk_names_the_file_being_written():
    def write_pdf():
        with open("/dev/full", "w") as pdf:
            pdf.write("%PDF")

    message = author_message(raised(write_pdf), "compile_pdf")
    assert message.startswith("The disk is full: step compile_pdf stopped while writing /dev/full.")
    assert "Free some space" in message


def test_running_out_of_memory_names_the_step():
    exc = raised(lambda: bytearray(1 << 60))  # more than any machine has: refused at once
    assert isinstance(exc, MemoryError)
    message = author_message(exc, "validate_cohort")
    assert "ran out of memory in step validate_cohort" in message
    assert "too large for this machine" in message and "close other programs" in message


# --------------------------------------------------------------------------- permissions
def test_a_read_only_results_folder_names_the_file_and_the_fix(project):
    (project / "results/manuscript").mkdir(parents=True)
    (project / "results/manuscript").chmod(0o555)
    with as_an_ordinary_user():
        exc = raised(lambda: Path("results/manuscript/manuscript.html").write_text("<html>"))
    assert isinstance(exc, PermissionError)
    message = author_message(exc, "to_html")
    assert message.startswith(
        "Step to_html is not allowed to write results/manuscript/manuscript.html: the file "
        "or its folder is read-only."
    )
    assert "chmod -R u+w results" in message


def test_a_file_the_build_may_not_read_is_named(project):
    visits = project / "visits.csv"
    visits.write_text("id\n")
    visits.chmod(0o000)
    with as_an_ordinary_user():
        exc = raised(lambda: visits.read_text())
        message = author_message(exc, "validate_cohort")
    assert message.startswith("Step validate_cohort is not allowed to read visits.csv.")


def test_a_read_only_disk_is_named():
    # A read-only mount needs privileges a test does not have: the error is built as the
    # operating system reports it (open() raises exactly this).
    exc = OSError(errno.EROFS, os.strerror(errno.EROFS), "results/numbers.json")
    message = author_message(exc, "numbers_registry")
    assert "cannot write results/numbers.json: the disk holding it is read-only" in message


# --------------------------------------------------------------------------- damaged files
def test_a_truncated_numbers_file_is_named_and_rebuilt(project):
    (project / "results").mkdir()
    (project / "results/numbers.json").write_text('{"pain_relief": {"text": "88')
    message = author_message(raised(lambda: read_numbers("results/numbers.json")), "render")
    assert message.startswith(
        "results/numbers.json is damaged (it stops being valid JSON at line 1, column 26)"
    )
    assert "Run make paper again: the build finds files under results/" in message


def test_a_csv_saved_in_another_encoding_is_named_with_its_line(project):
    (project / "visits.csv").write_bytes("id,site\nP0001,Hôpital\n".encode("latin-1"))
    exc = raised(lambda: Path("visits.csv").read_text(encoding="utf-8"))
    message = author_message(exc, "validate_cohort")
    assert message.startswith("visits.csv line 2 is not UTF-8 text (byte 0xf4 cannot be read).")
    assert "CSV UTF-8" in message


def test_a_template_saved_in_another_encoding_is_named(project):
    (project / "templates").mkdir()
    (project / "templates/intro.md.j2").write_bytes("Résumé\n".encode("cp1252"))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
    message = author_message(raised(lambda: env.get_template("intro.md.j2")), "render_markdown")
    assert message.startswith("templates/intro.md.j2 line 1 is not UTF-8 text (byte 0xe9")
    assert "Save it as UTF-8" in message


# --------------------------------------------------------------------------- templates, Typst
def test_a_missing_include_names_it_and_where_it_is_included(project):
    sections = project / "templates/sections"
    sections.mkdir(parents=True)
    (sections / "06-conclusion.md.j2").write_text("# Conclusion\n\n{% include 'partials/x.md' %}\n")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
    template = env.get_template("sections/06-conclusion.md.j2")
    message = author_message(raised(template.render), "render_markdown")
    assert message.startswith(
        "templates/sections/06-conclusion.md.j2 line 3: the template 'partials/x.md' was "
        "not found. Templates live in templates/"
    )


def test_a_typst_error_shows_typsts_own_diagnostic_without_a_stack_trace(project):
    Path("manuscript.typ").write_text("= Results\n\nRelief was #relief(3) in all.\n")
    exc = raised(lambda: typst.compile("manuscript.typ", output="manuscript.pdf", root="."))
    assert isinstance(exc, typst.TypstError)
    message = author_message(exc, "compile_pdf")
    assert message.startswith("Typst could not make the PDF (step compile_pdf). Typst says:")
    assert "error: unknown variable: relief" in message
    assert "manuscript.typ:3:12" in message
    assert "Relief was #relief(3) in all." in message
    assert "Traceback" not in message and 'File "' not in message


# --------------------------------------------------------------------------- not recognised
@pytest.mark.parametrize(
    "exc",
    [
        ValueError("x"),
        KeyError("x"),
        FileNotFoundError(errno.ENOENT, "gone", "a.csv"),
        raised(lambda: "Hôpital".encode().decode("ascii")),  # valid UTF-8, misread
    ],
    ids=["ValueError", "KeyError", "FileNotFoundError", "read-as-ASCII"],
)
def test_an_exception_not_known_here_gets_no_message(exc):
    assert author_message(exc, "step") is None


# --------------------------------------------------------------------------- results/
def test_results_as_a_symbolic_link_is_refused(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    Path("results").symlink_to(elsewhere)
    with pytest.raises(ManuscriptError) as refused:
        check_results_folder()
    assert str(refused.value).startswith(
        f"results/ is a symbolic link to {elsewhere}; the build writes only into a real "
        "folder inside the repository: remove the link"
    )


def test_a_read_only_results_folder_is_refused(project):
    Path("results").mkdir()
    Path("results").chmod(0o555)
    with as_an_ordinary_user(), pytest.raises(ManuscriptError) as refused:
        check_results_folder("results")
    assert str(refused.value).startswith("results/ is read-only")
    assert "chmod -R u+w results" in str(refused.value)


def test_a_missing_or_writable_results_folder_is_accepted(project):
    check_results_folder()  # missing: the build creates it
    Path("results").mkdir()
    Path("results").chmod(0o777)  # writable for everyone, the ordinary user included
    with as_an_ordinary_user():
        check_results_folder()
