"""The store's tables (SQLAlchemy Core) and the fields of a record: what :mod:`ozgmap.store`
reads and writes and the Alembic migrations build."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table("meta", metadata,
                sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", sa.Text, nullable=False))
themenfeld = sa.Table("themenfeld", metadata,
                      sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("name", sa.Text, nullable=False))
lage = sa.Table("lage", metadata,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("themenfeld_id", sa.Integer, nullable=False),
                sa.Column("name", sa.Text, nullable=False))
leistung = sa.Table("leistung", metadata,
                    sa.Column("ozg_id", sa.String(16), primary_key=True),
                    sa.Column("name", sa.Text, nullable=False),
                    sa.Column("lage_id", sa.Integer),
                    sa.Column("themenfeld_id", sa.Integer, index=True),
                    sa.Column("kommunal", sa.Boolean, nullable=False))
leika = sa.Table("leika", metadata,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("leika_key", sa.String(14), unique=True),
                 sa.Column("name", sa.Text, nullable=False),
                 sa.Column("typ", sa.String(32)),
                 sa.Column("ozg_id", sa.String(16), index=True))
gebiet = sa.Table("gebiet", metadata,
                  sa.Column("ags", sa.String(8), primary_key=True),
                  sa.Column("name", sa.Text, nullable=False),
                  sa.Column("bez", sa.Text, nullable=False),
                  sa.Column("ebene", sa.String(8), nullable=False),  # gemeinde|kreis|land|bund
                  sa.Column("kreis_ags", sa.String(5), index=True))

_RECORD_COLUMNS = [
    sa.Column("ags", sa.String(8), nullable=False),
    sa.Column("ozg_id", sa.String(16), nullable=False),      # '' where only a LeiKa key is known
    sa.Column("leika_key", sa.String(14), nullable=False),   # '' = the OZG-Leistung as a whole
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("reifegrad", sa.Integer),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("seit", sa.Date),
    sa.Column("flaechendeckung", sa.Text, nullable=False),
    sa.Column("quelle", sa.Text, nullable=False),
    sa.Column("stelle", sa.Text, nullable=False),            # who handles the request
    sa.Column("hinweis", sa.Text, nullable=False, server_default=""),  # e.g. why not counted
    sa.Column("stand", sa.Date),                              # date of the source's data
    sa.Column("erfasst_von", sa.Text, nullable=False),
    sa.Column("erfasst_am", sa.DateTime, nullable=False),
]
RECORD_FIELDS = [c.name for c in _RECORD_COLUMNS]
DATA_FIELDS = ["status", "reifegrad", "url", "seit", "flaechendeckung", "quelle", "stelle",
               "hinweis"]
KEY_FIELDS = ("ags", "ozg_id", "leika_key")
#: Written with the record but no change of it: a source confirming the same content at a
#: later Stand updates the Stand in place (no history row, or a daily refresh would copy
#: every record into the history every day).
STAND_FIELD = "stand"
TEXT_FIELDS = ("url", "flaechendeckung", "quelle", "stelle", "hinweis")


def normalised(rec: dict) -> dict:
    """The key and data fields of *rec* as :meth:`Store.apply` stores them."""
    new = {k: rec.get(k) for k in KEY_FIELDS + tuple(DATA_FIELDS) + (STAND_FIELD,)}
    for k in TEXT_FIELDS:
        new[k] = new[k] or ""
    return new

umsetzung = sa.Table(
    "umsetzung", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    *[c._copy() for c in _RECORD_COLUMNS],
    sa.Column("import_id", sa.Integer),
    sa.UniqueConstraint(*KEY_FIELDS, name="uq_umsetzung_key"),
    sa.Index("ix_umsetzung_ozg", "ozg_id"),
    sqlite_autoincrement=True,  # ids are never reused: history is keyed by them (0004)
)
umsetzung_history = sa.Table(
    "umsetzung_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("umsetzung_id", sa.Integer, nullable=False, index=True),
    sa.Column("aktion", sa.String(16), nullable=False),  # angelegt | geändert | gelöscht
    *[c._copy() for c in _RECORD_COLUMNS],
    sa.Column("import_id", sa.Integer),
)
import_run = sa.Table(
    "import_run", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("datei", sa.Text, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("von", sa.Text, nullable=False),
    sa.Column("am", sa.DateTime, nullable=False),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Integer, nullable=False, default=0),
)

api_token = sa.Table(
    "api_token", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
    sa.Column("bereich", sa.Text, nullable=False),  # comma-separated AGS it may write
    sa.Column("erstellt_von", sa.Text, nullable=False),
    sa.Column("erstellt_am", sa.DateTime, nullable=False),
    sa.Column("widerrufen_am", sa.DateTime),
)
