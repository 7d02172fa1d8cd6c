"""The write API for data stewards: ``POST/PUT/DELETE /api/umsetzungen`` with API tokens.

A token (``ozgmap token create --ags …``) may write only the bodies it was issued for: a
Gemeinde token that Gemeinde, a Kreis token the Kreis and its Gemeinden. Every batch is
validated like a CLI import and written all-or-nothing; every change lands in the history
with the token's name as author.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..app_services import services
from ..importer import ImportFailed, validate_rows
from ..store import KEY_FIELDS, may_write
from .http import error_response

bp = Blueprint("write", __name__, url_prefix="/api")
MAX_BATCH = 5000


class WriteError(Exception):
    """An HTTP error of the write API with a German message and optional details."""

    def __init__(self, status: int, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details or []


@bp.errorhandler(WriteError)
def _write_error(exc: WriteError) -> Response:
    resp = error_response(exc.status, exc.message)
    if exc.details:
        body = resp.get_json()
        body["error"]["details"] = exc.details
        resp = jsonify(body)
        resp.status_code = exc.status
    if exc.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ozgmap"'
    return resp


def _token() -> dict:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 200:
        raise WriteError(401, "Anmeldung nötig: Header 'Authorization: Bearer <Token>' fehlt.")
    row = services().store.token(header[7:].strip())
    if row is None:
        raise WriteError(401, "Token unbekannt oder widerrufen.")
    return row


def _items() -> list[dict]:
    if request.mimetype != "application/json":
        raise WriteError(415, "Inhaltstyp muss application/json sein.")
    body = request.get_json(silent=True)
    if body is None:
        raise WriteError(400, "Der Inhalt ist kein gültiges JSON.")
    items = body.get("umsetzungen") if isinstance(body, dict) and "umsetzungen" in body \
        else body
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise WriteError(400, "Erwartet wird ein Objekt oder eine Liste von Objekten "
                         "(auch als {\"umsetzungen\": [...]}).")
    if len(items) > MAX_BATCH:
        raise WriteError(413, f"Höchstens {MAX_BATCH} Einträge pro Anfrage.")
    return items


def _check_rights(token: dict, agss: list[str]) -> None:
    denied = sorted({a for a in agss if not may_write(token["bereich"], a)})
    if denied:
        raise WriteError(403, "Dieser Token darf diese Gebiete nicht schreiben: "
                         + ", ".join(denied[:20]) + (" …" if len(denied) > 20 else ""),
                         [{"ags": a} for a in denied])


def _validated(items: list[dict], token: dict) -> list[dict]:
    try:
        records = validate_rows(services().store, items, source=f"API ({token['name']})")
    except ImportFailed as exc:
        raise WriteError(422, f"{len(exc.issues)} Fehler, nichts geschrieben.",
                         [{"eintrag": i.line, "feld": i.column, "wert": i.value,
                           "meldung": i.message} for i in exc.issues])
    _check_rights(token, [r["ags"] for r in records])
    return records


def _author(token: dict) -> str:
    return f"token:{token['id']} {token['name']}"


@bp.route("/umsetzungen", methods=["POST", "PUT", "DELETE"])
def umsetzungen():
    """POST creates (409 if a record exists), PUT creates or replaces, DELETE removes."""
    token = _token()
    items = _items()
    store = services().store
    if request.method == "DELETE":
        keys = []
        for n, it in enumerate(items, start=1):
            if not isinstance(it.get("ags"), str) or not isinstance(it.get("ozg_id"), str):
                raise WriteError(422, "Zum Löschen werden ags und ozg_id gebraucht.",
                                 [{"eintrag": n}])
            keys.append((it["ags"], it["ozg_id"], str(it.get("leika_key") or "")))
        _check_rights(token, [k[0] for k in keys])
        existing = store.keys_of({k[0] for k in keys})
        missing = [k for k in keys if k not in existing]
        if missing:
            raise WriteError(404, "Diese Einträge gibt es nicht; nichts gelöscht.",
                             [dict(zip(KEY_FIELDS, k)) for k in missing])
        res = store.delete(keys, by=_author(token))
        return jsonify({"ergebnis": res.as_dict()})
    records = _validated(items, token)
    if request.method == "POST":
        existing = store.keys_of({r["ags"] for r in records})
        clash = [r for r in records if tuple(r[k] for k in KEY_FIELDS) in existing]
        if clash:
            raise WriteError(409, "Diese Einträge gibt es schon (PUT ändert sie); "
                             "nichts geschrieben.",
                             [{k: r[k] for k in KEY_FIELDS} for r in clash])
    res = store.apply(records, by=_author(token), datei="API", format="api")
    resp = jsonify({"ergebnis": res.as_dict()})
    resp.status_code = 201 if request.method == "POST" else 200
    return resp
