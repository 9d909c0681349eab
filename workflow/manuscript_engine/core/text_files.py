"""An author's text file that is not UTF-8: where the bad byte is, and how to re-save it.

Templates, YAML files and cohort CSVs are all read as UTF-8; one message, with the
file, the line and the byte, serves each of them.
"""

from __future__ import annotations

from manuscript_engine.core.errors import ManuscriptError


def not_utf8(shown: str, line: int | None, byte: int | None, then: str = "") -> str:
    """The message for a file that is not UTF-8 text (``then``: what to do next)."""
    where = f"{shown} line {line}" if line else shown
    what = f"byte {byte:#04x}" if byte is not None else "a byte"
    how = (
        "in Excel: Save as, 'CSV UTF-8 (Comma delimited)'"
        if shown.endswith(".csv")
        else "in most editors: Save as, encoding UTF-8"
    )
    return f"{where} is not UTF-8 text ({what} cannot be read). Save it as UTF-8 ({how})" + (
        f", {then}" if then else "."
    )


def decode_utf8(data: bytes, shown: str, error: type[Exception] = ManuscriptError) -> str:
    """``data`` as text (a byte-order mark dropped), or ``error`` naming line and byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(not_utf8(shown, line, data[exc.start])) from None
