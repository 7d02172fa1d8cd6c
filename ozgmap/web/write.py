"""The write API for data stewards: ``POST/PUT/DELETE /api/umsetzungen`` with API tokens.

A token (``ozgmap token create --ags …``) may write only the bodies it was issued for: a
Gemeinde token that Gemeinde, a Kreis token the Kreis and its Gemeinden. Every batch is
validated like a CLI import and written all-or-nothing; every change lands in the history
with the token's name as author.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify, request

from ..app_services import services
from ..importer import ImportFailed, validate_rows
from ..safety import RateLimit
from ..store import KEY_FIELDS, RecordsExist, WriteConflict, may_write
from .http import error_response

bp = Blueprint("write", __name__, url_prefix="/api")
MAX_BATCH = 5000


class WriteError(Exception):
    """An HTTP error of the write API with a German message and optional details."""

    def __init__(self, status: int, message: str, details: list | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details or []
        self.retry_after = retry_after


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
    if exc.retry_after:
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def _token() -> dict:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 200:
        raise WriteError(401, "Anmeldung nötig: Header 'Authorization: Bearer <Token>' fehlt.")
    row = services().store.token(header[7:].strip())
    if row is None:
        raise WriteError(401, "Token unbekannt oder widerrufen.")
    wait = _limit().wait_for(row["id"])
    if wait:
        raise WriteError(429, f"Zu viele Anfragen mit diesem Token; bitte in {wait} s erneut "
                         "senden.", retry_after=wait)
    return row


def _limit() -> RateLimit:
    """This worker's write limit per token (OZGMAP_WRITE_BURST, OZGMAP_WRITE_RATE)."""
    ext = current_app.extensions
    if "ozgmap.write_limit" not in ext:
        ext["ozgmap.write_limit"] = RateLimit(int(current_app.config["OZGMAP_WRITE_BURST"]),
                                              float(current_app.config["OZGMAP_WRITE_RATE"]))
    return ext["ozgmap.write_limit"]


def _items() -> list[dict]:
    if request.mimetype != "application/json":
        raise WriteError(415, "Inhaltstyp muss application/json sein.")
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    raw = request.get_data(cache=False)  # a chunked body is cut at the limit, not refused
    if limit and len(raw) >= limit:
        raise WriteError(413, f"Die gesendeten Daten sind zu groß (höchstens "
                         f"{limit // (1024 * 1024)} MB).")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise WriteError(400, "Der Inhalt ist zu tief verschachteltes JSON.") from None
    except ValueError:
        raise WriteError(400, "Der Inhalt ist kein gültiges JSON.") from None
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


def _retried(write, attempts: int = 3):
    """*write()*, once more when another write got in between (then 409, nothing written)."""
    for attempt in range(attempts):
        try:
            return write()
        except WriteConflict:
            if attempt == attempts - 1:
                raise WriteError(409, "Dieselben Einträge wurden gleichzeitig geändert; "
                                 "nichts geschrieben. Bitte erneut senden.") from None


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
        res = _retried(lambda: store.delete(keys, by=_author(token)))
        return jsonify({"ergebnis": res.as_dict()})
    records = _validated(items, token)
    try:
        res = _retried(lambda: store.apply(records, by=_author(token), datei="API",
                                           format="api", only_new=request.method == "POST"))
    except RecordsExist as exc:
        raise WriteError(409, "Diese Einträge gibt es schon (PUT ändert sie); "
                         "nichts geschrieben.", [dict(zip(KEY_FIELDS, k)) for k in exc.keys])
    resp = jsonify({"ergebnis": res.as_dict()})
    resp.status_code = 201 if request.method == "POST" else 200
    return resp
