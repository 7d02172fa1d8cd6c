"""The OZG catalogue: Themenfelder, Lagen, OZG-Leistungen, LeiKa-Leistungen and vocabularies.

Two inputs: the KDN OZG-Datenbank NRW MySQL dump (parsed from its INSERT statements) or the
documented catalogue CSV (``docs`` in the README). Reference files are read from a local mirror
(``OZGMAP_DATA_DIR``) or downloaded from their pinned URL, and always checked by sha256.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import config

#: LeiKa-Typen whose Vollzug lies (also) with the Kommunen (Typ 3: Bund regelt, Kommune
#: vollzieht; 5: Land regelt, Kommune vollzieht; 6/7: kommunale Regelung; "2/3" etc.).
KOMMUNAL_TYPEN = re.compile(r"(^|[^0-9])(3|5|6|7)[a-z]?($|[^0-9])")

STATUSES = ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
MATURITIES = ["0", "1", "2", "3", "4"]

CATALOG_CSV_COLUMNS = ["themenfeld", "lage", "ozg_id", "leistung", "leika_key", "leika_name",
                       "leika_typ"]


class DataFileError(Exception):
    """A reference file is missing, unreachable or fails its sha256 check."""


@dataclass
class Catalog:
    """The whole catalogue in memory; loaded into the store by :func:`store.Store.load_catalog`."""

    themenfelder: list[dict] = field(default_factory=list)  # id, name
    lagen: list[dict] = field(default_factory=list)          # id, themenfeld_id, name
    leistungen: list[dict] = field(default_factory=list)  # ozg_id, name, lage_id, themenfeld_id, …
    leika: list[dict] = field(default_factory=list)          # id, leika_key|None, name, typ, ozg_id
    statuses: list[str] = field(default_factory=lambda: list(STATUSES))
    maturities: list[str] = field(default_factory=lambda: list(MATURITIES))
    source: str = ""
    sha256: str = ""


# --- reference files -----------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reference_file(name: str, data_dir: str | Path | None, cache_dir: str | Path,
                   download: bool = True) -> Path:
    """Path of a verified reference file: from the mirror, else the cache, else downloaded.

    *name* is a key of :data:`config.SHA256` such as ``kdn-ozg-datenbank-nrw/symfony.data.sql``.
    """
    expected = config.SHA256[name]
    candidates = []
    if data_dir:
        candidates.append(Path(data_dir) / name)
    cached = Path(cache_dir) / name
    candidates.append(cached)
    for path in candidates:
        if path.is_file():
            digest = sha256_of(path)
            if digest != expected:
                raise DataFileError(
                    f"{path}: sha256 {digest} stimmt nicht mit dem erwarteten {expected} überein.")
            return path
    url = config.UPSTREAM_URLS.get(name)
    if not (download and url):
        raise DataFileError(
            f"Referenzdatei {name} nicht gefunden (gesucht in: "
            f"{', '.join(str(c) for c in candidates)}). OZGMAP_DATA_DIR setzen.")
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (pinned https URL)
            body = resp.read()
    except OSError as exc:
        raise DataFileError(f"Download von {url} fehlgeschlagen: {exc}") from exc
    digest = hashlib.sha256(body).hexdigest()
    if digest != expected:
        raise DataFileError(f"{url}: sha256 {digest} stimmt nicht mit {expected} überein.")
    tmp = cached.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(cached)
    return cached


# --- MySQL dump ----------------------------------------------------------------------------

_INSERT = re.compile(r"INSERT INTO `(\w+)` \(([^)]*)\) VALUES\s*")
_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def _parse_values(text: str, pos: int) -> tuple[list[list], int]:
    """Parse ``(v, ...), (v, ...);`` starting at *pos*; return rows and the position after ';'."""
    rows: list[list] = []
    n = len(text)
    while pos < n:
        while text[pos] in " \n\r\t,":
            pos += 1
        if text[pos] == ";":
            return rows, pos + 1
        if text[pos] != "(":
            raise ValueError(f"unerwartetes Zeichen {text[pos]!r} an Position {pos}")
        pos += 1
        row: list = []
        while True:
            while text[pos] in " \n\r\t":
                pos += 1
            c = text[pos]
            if c == "'":
                pos += 1
                buf = []
                while True:
                    c = text[pos]
                    if c == "\\":
                        nxt = text[pos + 1]
                        buf.append(_ESCAPES.get(nxt, nxt))
                        pos += 2
                    elif c == "'":
                        if text[pos + 1] == "'":
                            buf.append("'")
                            pos += 2
                        else:
                            pos += 1
                            break
                    else:
                        buf.append(c)
                        pos += 1
                row.append("".join(buf))
            else:
                end = pos
                while text[end] not in ",)":
                    end += 1
                token = text[pos:end].strip()
                row.append(None if token == "NULL" else
                           (int(token) if re.fullmatch(r"-?\d+", token) else float(token)))
                pos = end
            while text[pos] in " \n\r\t":
                pos += 1
            if text[pos] == ",":
                pos += 1
                continue
            if text[pos] == ")":
                pos += 1
                break
        rows.append(row)
    raise ValueError("INSERT ohne abschließendes ';'")


def parse_mysql_dump(text: str, tables: set[str] | None = None) -> dict[str, list[dict]]:
    """Rows of every INSERT in a mysqldump, as dicts keyed by column name."""
    out: dict[str, list[dict]] = {}
    pos = 0
    while True:
        m = _INSERT.search(text, pos)
        if not m:
            return out
        table = m.group(1)
        cols = [c.strip().strip("`") for c in m.group(2).split(",")]
        rows, pos = _parse_values(text, m.end())
        if tables is None or table in tables:
            out.setdefault(table, []).extend(dict(zip(cols, r)) for r in rows)


def _clean(s: str | None) -> str:
    return " ".join((s or "").split())


def catalog_from_dump(path: Path) -> Catalog:
    """Build the catalogue from the KDN dump ``symfony.data.sql``."""
    text = path.read_text(encoding="utf-8")
    t = parse_mysql_dump(text, {"ozg_subject", "ozg_situation", "ozg_service_system",
                                "ozg_service", "ozg_status", "ozg_maturity"})
    cat = Catalog(source=f"KDN OZG-Datenbank NRW ({path.name})", sha256=sha256_of(path))
    cat.themenfelder = [{"id": r["id"], "name": _clean(r["name"])}
                        for r in sorted(t["ozg_subject"], key=lambda r: r["id"])]
    used_lagen = {r["situation_id"] for r in t["ozg_service_system"]}
    lage_tf = {r["id"]: r["subject_id"] for r in t["ozg_situation"]}
    # Lagen no Leistung points to are developer test rows ("aaaaabbbbb") in this dump.
    cat.lagen = [{"id": r["id"], "themenfeld_id": r["subject_id"], "name": _clean(r["name"])}
                 for r in sorted(t["ozg_situation"], key=lambda r: r["id"])
                 if r["id"] in used_lagen]
    by_system: dict[int, str] = {}
    for r in t["ozg_service_system"]:
        key = _clean(r["service_key"])
        by_system[r["id"]] = key
        cat.leistungen.append({"ozg_id": key, "name": _clean(r["name"]),
                               "lage_id": r["situation_id"],
                               "themenfeld_id": lage_tf.get(r["situation_id"])})
    for r in sorted(t["ozg_service"], key=lambda r: r["id"]):
        key = _clean(r["service_key"])
        if key == "nicht im LeiKa":
            key = None  # a real Leistung the LeiKa does not list
        elif not re.fullmatch(r"\d{14}", key):
            continue  # developer test rows ("3233") carry no valid key
        cat.leika.append({"id": r["id"], "leika_key": key, "name": _clean(r["name"]),
                          "typ": _clean(r["service_type"]),
                          "ozg_id": by_system.get(r["service_system_id"])})
    cat.statuses = [r["name"] for r in sorted(t["ozg_status"], key=lambda r: r["id"])]
    cat.maturities = [r["name"] for r in sorted(t["ozg_maturity"], key=lambda r: r["id"])]
    _mark_kommunal(cat)
    return cat


def catalog_from_csv(path: Path) -> Catalog:
    """Build the catalogue from the documented CSV layout (one row per LeiKa-Leistung).

    Columns: themenfeld, lage, ozg_id, leistung, leika_key, leika_name, leika_typ. Rows with an
    empty leika_key describe an OZG-Leistung without LeiKa mapping.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in CATALOG_CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: Zeile 1: Spalten fehlen: {', '.join(missing)}")
    cat = Catalog(source=f"Katalog-CSV ({path.name})", sha256=sha256_of(path))
    tf_ids: dict[str, int] = {}
    lage_ids: dict[tuple[int, str], int] = {}
    leistungen: dict[str, dict] = {}
    for lineno, row in enumerate(reader, start=2):
        tf, lage, ozg_id = _clean(row["themenfeld"]), _clean(row["lage"]), _clean(row["ozg_id"])
        if not (tf and ozg_id and _clean(row["leistung"])):
            raise ValueError(f"{path}: Zeile {lineno}: themenfeld, ozg_id und leistung "
                             "dürfen nicht leer sein")
        tf_id = tf_ids.setdefault(tf, len(tf_ids) + 1)
        lage_id = lage_ids.setdefault((tf_id, lage), len(lage_ids) + 1)
        leistungen.setdefault(ozg_id, {"ozg_id": ozg_id, "name": _clean(row["leistung"]),
                                       "lage_id": lage_id, "themenfeld_id": tf_id})
        key = _clean(row["leika_key"])
        if key:
            if not re.fullmatch(r"\d{14}", key):
                raise ValueError(f"{path}: Zeile {lineno}: Spalte leika_key: '{key}' ist kein "
                                 "14-stelliger LeiKa-Schlüssel")
            cat.leika.append({"id": len(cat.leika) + 1, "leika_key": key,
                              "name": _clean(row["leika_name"]),
                              "typ": _clean(row["leika_typ"]), "ozg_id": ozg_id})
    cat.themenfelder = [{"id": i, "name": n} for n, i in tf_ids.items()]
    cat.lagen = [{"id": i, "themenfeld_id": t, "name": n} for (t, n), i in lage_ids.items()]
    cat.leistungen = list(leistungen.values())
    _mark_kommunal(cat)
    return cat


def _mark_kommunal(cat: Catalog) -> None:
    """Flag OZG-Leistungen with at least one LeiKa-Leistung of kommunal Vollzug."""
    kommunal = {r["ozg_id"] for r in cat.leika if KOMMUNAL_TYPEN.search(r["typ"] or "")}
    for leistung in cat.leistungen:
        leistung["kommunal"] = leistung["ozg_id"] in kommunal


def load_catalog(path: Path) -> Catalog:
    """Dump (``.sql``) or documented CSV, by file name."""
    if path.suffix.lower() == ".sql":
        return catalog_from_dump(path)
    return catalog_from_csv(path)
