"""Free text to catalogue ids: a typed name (or part of it) finds its OZG-Leistung, Themenfeld
or Lage. Pages resolve names with this; the API stays strict (ids only).

One rule for all three: digits are the id itself; otherwise the exact name, then a whole-word
match, then a match at the start of a word, then a substring match, then a match of all words
in any order. The first rule with exactly one hit decides; a rule with several hits raises
:class:`AmbiguousName` with them; no hit at all raises :class:`UnknownName`. Comparisons
ignore case, Unicode form, punctuation and umlaut spelling ("Fuehrerschein", "Fuhrerschein"
and "Führerschein" are one word).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .snapshot import Snapshot

#: How many candidates an ambiguous name carries at most (a choice list, not a catalogue).
MAX_CANDIDATES = 50

#: German words per kind: (no such one, several of them)
_WORDS = {"OZG-Leistung": ("Keine OZG-Leistung", "Mehrere OZG-Leistungen"),
          "Themenfeld": ("Kein Themenfeld", "Mehrere Themenfelder"),
          "Lage": ("Keine Lage", "Mehrere Lagen")}
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^0-9a-z]+")


class NameLookupError(ValueError):
    """A name that does not lead to exactly one id; ``message`` is German, for people."""

    def __init__(self, kind: str, text: str, message: str,
                 candidates: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.kind, self.text, self.message = kind, text, message
        self.candidates = candidates or []


class UnknownName(NameLookupError):
    """Nothing in the catalogue matches the text."""


class AmbiguousName(NameLookupError):
    """Several entries match; ``candidates`` are their (id, name), sorted by name."""


@lru_cache(maxsize=8192)
def _forms(text: str) -> tuple[str, str]:
    """The two comparable spellings of *text*: umlauts written out (ä -> ae) and umlauts
    dropped (ä -> a), each lower case, in NFKC, with punctuation as single spaces."""
    t = unicodedata.normalize("NFKC", text).casefold().replace("&", " und ")
    written = unicodedata.normalize("NFKD", t.translate(_UMLAUTS))
    dropped = unicodedata.normalize("NFKD", t)
    return tuple(" ".join(_NON_WORD.sub(" ", "".join(ch for ch in s if not
                                                    unicodedata.combining(ch))).split())
                 for s in (written, dropped))


def _rules(query: str, name: str) -> list[bool]:
    """Which of the rules (exact, whole words, start of a word, substring, all words) *name*
    meets."""
    hits = [False] * 5
    for q, n in zip(_forms(query), _forms(name)):
        if not q:
            continue
        hits[0] |= q == n
        hits[1] |= f" {q} " in f" {n} "
        hits[2] |= f" {q}" in f" {n}"
        hits[3] |= q in n
        hits[4] |= all(w in n for w in q.split())
    return hits


def resolve(entries: Iterable[tuple[str, str]], text: str, kind: str,
            id_pattern: str) -> str:
    """The id among *entries* ((id, name) pairs) that *text* names; see the module doc.

    *kind* ("OZG-Leistung", "Themenfeld" or "Lage") names the thing in messages; text
    matching *id_pattern* is returned as it is (whether that id exists is for the caller to
    say).
    """
    text = (text or "").strip()
    if re.fullmatch(id_pattern, text):
        return text
    entries = list(entries)
    matched = [(e, _rules(text, e[1])) for e in entries]
    for rule in range(5):
        hits = sorted((e for e, r in matched if r[rule]), key=lambda e: e[1].casefold())
        if len(hits) == 1:
            return hits[0][0]
        if hits:
            shown = hits[:MAX_CANDIDATES]
            more = (f" Die ersten {len(shown)} von {len(hits)} stehen hier; bitte genauer "
                    "eingeben.") if len(hits) > len(shown) else ""
            raise AmbiguousName(kind, text, f"{_WORDS[kind][1]} passen zu „{text[:60]}“. "
                                f"Bitte auswählen.{more}", shown)
    raise UnknownName(kind, text, f"{_WORDS[kind][0]} passt zu „{text[:60]}“. Bitte einen "
                      "anderen Namen (oder einen Teil davon) oder die Nummer eingeben.")




def resolve_leistung(snap: Snapshot, text: str) -> str:
    """The OZG-ID that *text* names: digits are the OZG-ID, else a Leistung's name."""
    return resolve(((o, r["name"]) for o, r in snap.leistungen.items()), text,
                   "OZG-Leistung", r"[0-9]{1,8}")


def resolve_themenfeld(snap: Snapshot, text: str) -> str:
    """The Themenfeld number that *text* names (its number or its name), as a str."""
    return resolve(((str(t["id"]), t["name"]) for t in snap.themenfelder), text,
                   "Themenfeld", r"[0-9]{1,3}")


def resolve_lage(snap: Snapshot, text: str) -> str:
    """The Lage number that *text* names (its number or its name), as a str."""
    return resolve(((str(i), r["name"]) for i, r in snap.lagen.items()), text,
                   "Lage", r"[0-9]{1,4}")
