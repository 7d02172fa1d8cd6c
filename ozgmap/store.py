"""The implementations store: catalogue, bodies (Gebiete) and who offers which Leistung online.

SQLAlchemy Core on SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting. The current
state lives in ``umsetzung``; every change also appends the full new state to
``umsetzung_history``, so an update never overwrites the earlier state. Every write bumps
``meta.data_version``; caches in any process compare against it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .catalog import Catalog
from .config import LAND_NAMES
from .schema import (DATA_FIELDS, KEY_FIELDS, RECORD_FIELDS, STAND_FIELD, api_token, gebiet,
                     import_run, lage, leika, leistung, meta, normalised, themenfeld, umsetzung,
                     umsetzung_history)

# The tables and record fields live in ozgmap/schema.py; re-exported for callers.

BUND_AGS = "00"


@dataclass
class WriteResult:
    """What one write (an import, a sample load, an API batch) did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    import_id: int | None = None

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted}


class WriteConflict(Exception):
    """Another write changed the same records at the same time; this one wrote nothing."""


class RecordsExist(Exception):
    """:meth:`Store.apply` with ``only_new``: these keys are stored already; nothing written."""

    def __init__(self, keys: list[tuple]):
        super().__init__(f"{len(keys)} Einträge gibt es schon")
        self.keys = keys


def _is_conflict(exc: sa.exc.DBAPIError) -> bool:
    """A key written by another transaction since this one read, a lock, or PostgreSQL's
    "try again" (serialization failure 40001, deadlock 40P01)."""
    return isinstance(exc, sa.exc.IntegrityError) or getattr(exc.orig, "sqlstate", None) in (
        "40001", "40P01") or any(w in str(exc.orig).lower() for w in ("locked", "busy"))


#: meta key: when the catalogue or the bodies last changed (what records are checked against)
REFERENCE_STAMP = "reference_changed_at"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers never block the single writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
        return eng
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3 is what we ship
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Store:
    """All database access of ozgmap. One instance per process; thread-safe via the engine."""

    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A transaction that reads and writes records as one: on SQLite it takes the write
        lock first (``BEGIN IMMEDIATE``), so nobody writes between its reading and its
        writing; a conflict all the same (PostgreSQL: a key inserted meanwhile) rolls it back
        and raises :class:`WriteConflict`."""
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except sa.exc.DBAPIError as exc:
            if not _is_conflict(exc):
                raise
            raise WriteConflict(str(exc.orig).splitlines()[0][:200]) from exc

    # --- schema and reference data ---------------------------------------------------------

    def create_schema(self) -> None:
        """Create or upgrade the schema to the newest migration (Alembic), keeping all data."""
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            insp = sa.inspect(conn)
            if insp.has_table("umsetzung") and not insp.has_table("alembic_version"):
                command.stamp(cfg, "0001")  # created before migrations existed: same schema
            command.upgrade(cfg, "head")
        with self.engine.begin() as conn:
            if conn.execute(sa.select(meta.c.value).where(meta.c.key == "data_version")
                            ).scalar() is None:
                conn.execute(meta.insert().values(key="data_version", value="1"))

    def is_initialised(self) -> bool:
        insp = sa.inspect(self.engine)
        if not insp.has_table("leistung") or not insp.has_table("gebiet"):
            return False
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.select(sa.func.count()).select_from(leistung)).scalar()
                        and conn.execute(sa.select(sa.func.count()).select_from(gebiet)).scalar())

    def _bump(self, conn: sa.Connection) -> None:
        conn.execute(meta.update().where(meta.c.key == "data_version").values(
            value=sa.cast(sa.cast(meta.c.value, sa.Integer) + 1, sa.Text)))
        self._set_meta(conn, "changed_at", _now().isoformat())

    def data_version(self) -> int:
        """Counter bumped on every write; compare it to invalidate caches (any process)."""
        with self.engine.connect() as conn:
            v = conn.execute(sa.select(meta.c.value).where(meta.c.key == "data_version")).scalar()
        return int(v or 0)

    def changed_at(self) -> dt.datetime | None:
        """UTC time of the last write (for Last-Modified)."""
        v = self.get_meta("changed_at")
        return dt.datetime.fromisoformat(v).replace(tzinfo=dt.timezone.utc) if v else None

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            v = conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if v is None else v

    def _set_meta(self, conn: sa.Connection, key: str, value: str) -> None:
        conn.execute(meta.delete().where(meta.c.key == key))
        conn.execute(meta.insert().values(key=key, value=value))

    def load_catalog(self, cat: Catalog) -> None:
        """Replace the catalogue tables with *cat*, in one transaction."""
        with self.engine.begin() as conn:
            for table in (leika, leistung, lage, themenfeld):
                conn.execute(table.delete())
            conn.execute(themenfeld.insert(), cat.themenfelder)
            conn.execute(lage.insert(), cat.lagen)
            conn.execute(leistung.insert(), cat.leistungen)
            conn.execute(leika.insert(), cat.leika)
            self._set_meta(conn, "catalog_source", cat.source)
            self._set_meta(conn, "catalog_sha256", cat.sha256)
            self._set_meta(conn, "statuses", "|".join(cat.statuses))
            self._set_meta(conn, "maturities", "|".join(cat.maturities))
            self._set_meta(conn, REFERENCE_STAMP, _now().isoformat())
            self._bump(conn)

    def load_gebiete(self, gemeinden: Iterable[dict], kreise: Iterable[dict]) -> None:
        """Replace the bodies: Gemeinden, Kreise, the Länder they lie in, and the Bund."""
        rows = [{"ags": k["ags"], "name": k["name"], "bez": k["bez"], "ebene": "kreis",
                 "kreis_ags": k["ags"]} for k in kreise]
        rows += [{"ags": g["ags"], "name": g["name"], "bez": g["bez"], "ebene": "gemeinde",
                  "kreis_ags": g["kreis_ags"]} for g in gemeinden]
        laender = sorted({r["ags"][:2] for r in rows})
        rows += [{"ags": land, "name": LAND_NAMES.get(land, f"Land {land}"), "bez": "Land",
                  "ebene": "land", "kreis_ags": None} for land in laender]
        rows.append({"ags": BUND_AGS, "name": "Bund", "bez": "Bund", "ebene": "bund",
                     "kreis_ags": None})
        with self.engine.begin() as conn:
            conn.execute(gebiet.delete())
            conn.execute(gebiet.insert(), rows)
            self._set_meta(conn, REFERENCE_STAMP, _now().isoformat())
            self._bump(conn)

    # --- reading ------------------------------------------------------------------------

    def _all(self, stmt) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def statuses(self) -> list[str]:
        return (self.get_meta("statuses") or "").split("|")

    def maturities(self) -> list[str]:
        return (self.get_meta("maturities") or "").split("|")

    def themenfelder(self) -> list[dict]:
        return self._all(sa.select(themenfeld).order_by(themenfeld.c.id))

    def lagen(self) -> list[dict]:
        return self._all(sa.select(lage).order_by(lage.c.id))

    def leistungen(self) -> list[dict]:
        return self._all(sa.select(leistung).order_by(leistung.c.name))

    def leika_rows(self) -> list[dict]:
        return self._all(sa.select(leika).order_by(leika.c.id))

    def gebiete(self) -> list[dict]:
        return self._all(sa.select(gebiet).order_by(gebiet.c.ags))

    def records(self, **where) -> list[dict]:
        """Current records, optionally filtered by equality on record columns."""
        stmt = sa.select(umsetzung).order_by(umsetzung.c.ags, umsetzung.c.ozg_id,
                                             umsetzung.c.leika_key)
        for col, value in where.items():
            stmt = stmt.where(umsetzung.c[col] == value)
        return self._all(stmt)

    def keys_of(self, agss: set[str]) -> set[tuple]:
        """The keys (:data:`KEY_FIELDS`) of the current records of the bodies *agss*."""
        return {tuple(r[k] for k in KEY_FIELDS) for a in agss for r in self.records(ags=a)}

    def record_keys(self, size: int = 100_000) -> Iterator[list[tuple]]:
        """(ags, ozg_id, leika_key, status, quelle, flaechendeckung) of every current record,
        streamed in chunks of *size* rows: what the figures need, without the cost of full
        rows or of holding them all at once. Read through the driver's own cursor (plain
        tuples: a third of the time of SQLAlchemy's rows for 1.8 million records); on
        PostgreSQL a server-side one, so the result is not held whole by the client."""
        sql = ("SELECT ags, ozg_id, leika_key, status, quelle, flaechendeckung "
               "FROM umsetzung")
        raw = self.engine.raw_connection()
        try:
            if self.engine.dialect.name == "postgresql":
                cur = raw.driver_connection.cursor(name="ozgmap_record_keys")
                cur.itersize = size
            else:
                cur = raw.cursor()
            cur.execute(sql)
            while rows := cur.fetchmany(size):
                yield rows
            cur.close()
        finally:
            raw.rollback()
            raw.close()

    def stands(self) -> dict[str, dt.date]:
        """The newest Stand of each source that gives one (``quelle`` -> date)."""
        stmt = (sa.select(umsetzung.c.quelle, sa.func.max(umsetzung.c.stand))
                .where(umsetzung.c.stand.is_not(None)).group_by(umsetzung.c.quelle))
        with self.engine.connect() as conn:
            return {q: d for q, d in conn.execute(stmt)}

    def history(self, **where) -> list[dict]:
        stmt = sa.select(umsetzung_history).order_by(umsetzung_history.c.id)
        for col, value in where.items():
            stmt = stmt.where(umsetzung_history.c[col] == value)
        return self._all(stmt)

    def imports(self) -> list[dict]:
        return self._all(sa.select(import_run).order_by(import_run.c.id))

    # --- writing ------------------------------------------------------------------------

    def apply(self, records: list[dict], *, by: str, datei: str = "", format: str = "",
              sha256: str = "", replace_source: str | None = None,
              meta_values: dict[str, str] | None = None,
              only_new: bool = False) -> WriteResult:
        """Insert or update *records* in one transaction; all or nothing.

        Each record holds the key fields and :data:`DATA_FIELDS`. A record equal to the
        stored one is counted unchanged and writes nothing. With *replace_source* (used for
        Beispieldaten), stored records of that source missing from *records* are deleted, and
        stored records of any other source are left as they are. *meta_values* are set in
        the same transaction (e.g. what a dashboard import fetched). With *only_new*, any
        record already stored raises :class:`RecordsExist` (checked in the same transaction).
        """
        now = _now()
        res = WriteResult()
        with self._writing() as conn:
            current = self._current(conn, records, replace_source)
            if only_new:
                there = [k for k in (tuple(r[f] for f in KEY_FIELDS) for r in records)
                         if k in current]
                if there:
                    raise RecordsExist(there)
            run_id = conn.execute(import_run.insert().values(
                datei=datei, format=format, sha256=sha256, von=by, am=now,
                added=0, updated=0, unchanged=0, deleted=0)).inserted_primary_key[0]
            inserts, updates, hist, restamped = [], [], [], []
            seen = set()
            for rec in records:
                key = tuple(rec[k] for k in KEY_FIELDS)
                seen.add(key)
                old = current.get(key)
                if replace_source is not None and old is not None \
                        and old["quelle"] != replace_source:
                    res.unchanged += 1  # never let generated data overwrite loaded data
                    continue
                new = {**normalised(rec), "erfasst_von": by, "erfasst_am": now,
                       "import_id": run_id}
                if old is None:
                    inserts.append(new)
                elif any(old[k] != new[k] for k in DATA_FIELDS):
                    updates.append({**new, "id": old["id"]})
                else:
                    res.unchanged += 1
                    if old[STAND_FIELD] != new[STAND_FIELD]:
                        restamped.append({"_id": old["id"], "_stand": new[STAND_FIELD]})
            if inserts:
                conn.execute(umsetzung.insert(), inserts)
                ids = {tuple(r._mapping[k] for k in KEY_FIELDS): r.id for r in conn.execute(
                    sa.select(umsetzung.c.id, *[umsetzung.c[k] for k in KEY_FIELDS])
                    .where(umsetzung.c.import_id == run_id))}
                hist += [{**r, "umsetzung_id": ids[tuple(r[k] for k in KEY_FIELDS)],
                          "aktion": "angelegt"} for r in inserts]
            if updates:
                conn.execute(umsetzung.update().where(umsetzung.c.id == sa.bindparam("_id"))
                             .values({k: sa.bindparam(k) for k in
                                      DATA_FIELDS + [STAND_FIELD, "erfasst_von", "erfasst_am",
                                                     "import_id"]}),
                             [{**u, "_id": u["id"]} for u in updates])
                hist += [{**{k: v for k, v in u.items() if k != "id"}, "umsetzung_id": u["id"],
                          "aktion": "geändert"} for u in updates]
            deletes = []
            if replace_source is not None:
                deletes = [old for key, old in current.items()
                           if old["quelle"] == replace_source and key not in seen]
            if deletes:
                hist += [{**{k: old[k] for k in RECORD_FIELDS}, "erfasst_von": by,
                          "erfasst_am": now, "import_id": run_id, "umsetzung_id": old["id"],
                          "aktion": "gelöscht"} for old in deletes]
                conn.execute(umsetzung.delete().where(
                    umsetzung.c.id.in_([d["id"] for d in deletes])))
            if restamped:
                conn.execute(umsetzung.update().where(umsetzung.c.id == sa.bindparam("_id"))
                             .values(stand=sa.bindparam("_stand")), restamped)
            if hist:
                conn.execute(umsetzung_history.insert(), hist)
            for key, value in (meta_values or {}).items():
                self._set_meta(conn, key, value)
            res.added, res.updated, res.deleted = len(inserts), len(updates), len(deletes)
            res.import_id = run_id
            conn.execute(import_run.update().where(import_run.c.id == run_id).values(
                added=res.added, updated=res.updated, unchanged=res.unchanged,
                deleted=res.deleted))
            if inserts or updates or deletes or restamped or meta_values:
                self._bump(conn)
        return res

    @staticmethod
    def _current(conn: sa.Connection, records: list[dict], replace_source: str | None
                 ) -> dict[tuple, dict]:
        """Stored records that *records* may touch: same bodies, or all of *replace_source*."""
        ags = sorted({r["ags"] for r in records if r.get("ags") is not None})
        cond = [umsetzung.c.quelle == replace_source] if replace_source is not None else []
        for i in range(0, len(ags), 500):
            cond.append(umsetzung.c.ags.in_(ags[i:i + 500]))
        if not cond:
            return {}
        rows = conn.execute(sa.select(umsetzung).where(sa.or_(*cond)))
        return {tuple(r._mapping[k] for k in KEY_FIELDS): dict(r._mapping) for r in rows}

    def delete(self, keys: list[tuple[str, str, str]], *, by: str) -> WriteResult:
        """Delete the current records with these (ags, ozg_id, leika_key) keys; history kept."""
        now = _now()
        res = WriteResult()
        with self._writing() as conn:
            run_id = conn.execute(import_run.insert().values(
                datei="", format="delete", sha256="", von=by, am=now, added=0, updated=0,
                unchanged=0, deleted=0)).inserted_primary_key[0]
            for key in keys:
                cond = sa.and_(*[umsetzung.c[k] == v for k, v in zip(KEY_FIELDS, key)])
                old = conn.execute(sa.select(umsetzung).where(cond)).first()
                if old is None:
                    continue
                old = dict(old._mapping)
                conn.execute(umsetzung_history.insert().values(
                    {**{k: old[k] for k in RECORD_FIELDS}, "erfasst_von": by, "erfasst_am": now,
                     "import_id": run_id, "umsetzung_id": old["id"], "aktion": "gelöscht"}))
                conn.execute(umsetzung.delete().where(umsetzung.c.id == old["id"]))
                res.deleted += 1
            conn.execute(import_run.update().where(import_run.c.id == run_id)
                         .values(deleted=res.deleted))
            if res.deleted:
                self._bump(conn)
        return res

    # --- API tokens ---------------------------------------------------------------------

    def create_token(self, name: str, bereich: list[str], *, by: str) -> tuple[int, str]:
        """A new token for writing the records of *bereich* (AGS list); returns (id, token).

        Only the sha256 of the token is stored: it is shown once and cannot be recovered.
        """
        token = "ozg_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            tid = conn.execute(api_token.insert().values(
                name=name, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                bereich=",".join(bereich), erstellt_von=by, erstellt_am=_now())
            ).inserted_primary_key[0]
        return tid, token

    def token(self, token: str) -> dict | None:
        """The active token row for a presented token, or None."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_token).where(
                api_token.c.token_hash == digest, api_token.c.widerrufen_am.is_(None))).first()
        return dict(row._mapping) if row else None

    def tokens(self) -> list[dict]:
        return self._all(sa.select(api_token).order_by(api_token.c.id))

    def revoke_token(self, token_id: int) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(api_token.update().where(
                api_token.c.id == token_id, api_token.c.widerrufen_am.is_(None))
                .values(widerrufen_am=_now()))
        return res.rowcount == 1


def may_write(bereich: str | list[str], ags: str) -> bool:
    """Whether a token for *bereich* may write records of body *ags*.

    A Gemeinde token writes only that Gemeinde; a Kreis token the Kreis and its Gemeinden;
    a Land token (``05``) the Land, its Kreise and Gemeinden; a Bund token (``00``) the Bund.
    """
    scopes = bereich.split(",") if isinstance(bereich, str) else bereich
    for s in scopes:
        if ags == s or (len(s) in (2, 5) and s != BUND_AGS and ags.startswith(s)):
            return True
    return False
