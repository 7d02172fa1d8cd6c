"""Checks that every way in and out shares (issue 19): text values, URLs, reserved names,
spreadsheet cells, XLSX archives. Plain functions, no Flask: the write API, the importer and
the clients of outside data (dashboard downloads) call the same ones.
"""
from __future__ import annotations

import functools
import math
import re
import threading
import time
import unicodedata
import urllib.parse
import zipfile
from pathlib import Path
from typing import IO

#: the longest value of each free-text field (characters); other text fields: MAX_TEXT
MAX_LENGTH = {"quelle": 200, "stelle": 300, "url": 2000}
MAX_TEXT = 300
#: sources named in a footer and in ``quellen`` (the CSV download has every one)
MAX_SOURCES_SHOWN = 10

#: the first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: XLSX (a zip archive): what its members may unpack to before anything opens it
XLSX_MAX_MEMBER = 200 * 1024 * 1024
XLSX_MAX_TOTAL = 400 * 1024 * 1024
XLSX_MAX_RATIO = 150
XLSX_MAX_MEMBERS = 1000


def text_problem(value, max_length: int = MAX_TEXT) -> str | None:
    """What is wrong with *value* as a text field, in German, or None.

    Only strings; no control, format, surrogate or private characters; at most *max_length*
    characters.
    """
    if not isinstance(value, str):
        return "muss Text sein"
    if len(value) > max_length:
        return f"ist länger als {max_length} Zeichen"
    if value.isascii():  # the common case, fast (imports check millions of values)
        m = _ASCII_CONTROL.search(value)
        ch = m.group() if m else None
    else:
        ch = _bad_char(value)
    return None if ch is None else f"enthält ein unzulässiges Zeichen (U+{ord(ch):04X})"


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # the only ones of these classes in ASCII


@functools.lru_cache(maxsize=4096)  # non-ASCII values repeat (Flächendeckung, Begründung)
def _bad_char(value: str) -> str | None:
    """The first control, format, surrogate, private or line/paragraph separator character."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            return ch
    return None


def field_problem(field: str, value) -> str | None:
    """:func:`text_problem` with the field's own limit (:data:`MAX_LENGTH`), URLs checked too."""
    problem = text_problem(value, MAX_LENGTH.get(field, MAX_TEXT))
    if problem is None and field == "url" and value:
        problem = url_problem(value)
    return problem


def normal_name(value: str) -> str:
    """*value* as names are compared: NFKC, format characters dropped, case folded, spaces
    collapsed (``Beispiel\\u200bdaten`` and ``ＢＥＩＳＰＩＥＬＤＡＴＥＮ`` are Beispieldaten)."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.casefold().split())


def same_name(a: str, b: str) -> bool:
    return normal_name(a) == normal_name(b)


_URL_FORBIDDEN = re.compile(r"[\s\"'<>\\^`{|}]")


def url_problem(url: str) -> str | None:
    """What is wrong with *url* as a link we show, in German, or None: http(s), a host name,
    no spaces, quotes, angle brackets or backslashes, at most 2000 characters."""
    if len(url) > MAX_LENGTH["url"]:
        return f"URL ist länger als {MAX_LENGTH['url']} Zeichen"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        host = None
    if parts.scheme.lower() not in ("http", "https") or not host or _URL_FORBIDDEN.search(url) \
            or not re.fullmatch(r"[\w.\-\[\]:]+", host):
        return ("URL muss mit http:// oder https:// beginnen, einen Host haben und darf keine "
                "Leerzeichen, Anführungszeichen, spitzen Klammern oder Backslashes enthalten")
    return None


def shown(value, limit: int = 200) -> str | None:
    """*value* as an error message may quote it: printable (a lone surrogate as ``\\ud800``)
    and at most *limit* characters."""
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def csv_cell(value):
    """A value for a CSV cell that a spreadsheet will not run: text starting with ``=``, ``+``,
    ``-``, ``@``, tab or CR gets a leading apostrophe (OWASP); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class UnsafeArchive(ValueError):
    """An XLSX whose members would unpack to too much (a zip bomb)."""


def check_xlsx(source: Path | str | IO[bytes]) -> None:
    """Refuse an XLSX archive (path or binary file) before anything unpacks it: too many
    members, a member or the whole over their uncompressed limits, or compressed more than
    :data:`XLSX_MAX_RATIO` to 1. Raises :class:`UnsafeArchive` (German message)."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeArchive(f"Excel-Datei lässt sich nicht lesen ({type(exc).__name__})") \
            from None
    if len(infos) > XLSX_MAX_MEMBERS:
        raise UnsafeArchive(f"Excel-Datei hat mehr als {XLSX_MAX_MEMBERS} Bestandteile")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_MAX_MEMBER or total > XLSX_MAX_TOTAL or (
                info.file_size > 1024 * 1024 and ratio > XLSX_MAX_RATIO):
            raise UnsafeArchive(
                f"Excel-Datei würde entpackt zu groß ({info.filename}: "
                f"{info.file_size // (1024 * 1024)} MB aus {info.compress_size // 1024} KB) "
                "– bitte als CSV speichern")


class RateLimit:
    """A token bucket per key (an API token): *burst* at once, then *rate* per second."""

    def __init__(self, burst: int, rate: float):
        self.burst, self.rate = burst, rate
        self._buckets: dict = {}
        self._lock = threading.Lock()

    def wait_for(self, key) -> int:
        """0 if *key* may go ahead now (and counts it), else the seconds to wait (>= 1)."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate)) if self.rate > 0 else 3600
