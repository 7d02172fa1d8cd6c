"""A fake of the Open-PVOG data API on loopback, and a fixture in the real export's layout.

:class:`FakePvog` serves both forms the client knows (``docs/import.md``):

- ``v1``: ``/api/v1/ars``, ``/api/v1/data/{ars}`` (JSON pages, or a file with
  ``filetype=csv|xlsx``);
- ``datahub``: ``/api/public/v1/dash/open-ars``, ``/api/public/v1/dash/open-pvog/{ars}`` and
  ``…/{ars}/export`` (406 unless ``Accept: application/octet-stream``).

``includeAbove``/``includeBelow`` select by ARS as the API does (default ``true``), JSON
answers are Spring ``Page`` objects, an export of more than ``export_limit`` rows answers
413, and faults are injected per request: ``fail`` (statuses to answer next), ``always``
(a status for every request), ``slow`` (seconds to wait before answering, by a predicate).

:func:`warendorf_rows` builds a few hundred rows for Kreis Warendorf, its 13 Gemeinden, the
Land and the Bund from the shipped boundaries and the real catalogue in the store.
"""
from __future__ import annotations

import csv
import io
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["leika_key", "leika_name", "leika_bezeichnung", "ars", "ars_name",
           "ars_federal_state", "bundesland", "ozgid", "ozg_bezeichnung", "url",
           "online_status", "aktiv", "art_flaechendeckung",
           "begruendung_nicht_beruecksichtigt", "datenstand_pvog_import", "export_datum"]
BUND_ARS, NRW_ARS, WARENDORF_ARS = "000000000000", "050000000000", "055700000000"
STAND = "2026-11-28"


def gemeinde_ars(ags: str) -> str:
    """NRW's Gemeinden belong to no Gemeindeverband: ARS = Kreis + 0 + Gemeinde + Gemeinde."""
    return ags[:5] + "0" + ags[5:] + ags[5:]


def _level(ars: str) -> str:
    if not ars.strip("0"):
        return "bund"
    if not ars[2:].strip("0"):
        return "land"
    return "kreis" if not ars[5:].strip("0") else "gemeinde"


def above(ars: str) -> list[str]:
    level = _level(ars)
    out = []
    if level == "gemeinde":
        out.append(ars[:5] + "0" * 7)
    if level in ("gemeinde", "kreis"):
        out.append(ars[:2] + "0" * 10)
    if level != "bund":
        out.append(BUND_ARS)
    return out


def below(row_ars: str, ars: str) -> bool:
    level = _level(ars)
    if row_ars == ars or level == "gemeinde":
        return False
    return {"bund": True, "land": row_ars[:2] == ars[:2],
            "kreis": row_ars[:5] == ars[:5]}[level]


def warendorf_rows(store, *, stand: str = STAND, seed: int = 18) -> list[dict]:
    """~300 rows in the real export's layout: Kreis Warendorf, its 13 Gemeinden, NRW, Bund.

    Names and keys come from the shipped boundaries and the store's real catalogue. Special
    rows (asserted by the tests): Telgte has one row "nicht in Auswertung berücksichtigt"
    with a Begründung, one with ``aktiv`` empty, one with ``ozgid`` empty, one with a LeiKa
    key the catalogue does not know; the Kreis has rows "in mind. einer Kommune verfügbar".
    """
    rng = random.Random(seed)
    gem = json.loads((ROOT / "boundaries" / "nrw_gemeinden.geojson").read_text("utf-8"))
    gemeinden = sorted((f["properties"] for f in gem["features"]
                        if f["properties"]["kreis_ags"] == "05570"), key=lambda p: p["ags"])
    leistungen = {lst["ozg_id"]: lst for lst in store.leistungen()}
    leika = [r for r in store.leika_rows() if r["leika_key"] and r["ozg_id"] in leistungen]
    kommunal = [r for r in leika if leistungen[r["ozg_id"]]["kommunal"]]
    andere = [r for r in leika if not leistungen[r["ozg_id"]]["kommunal"]]
    bodies = [(WARENDORF_ARS, "Warendorf")] + [(gemeinde_ars(g["ags"]), g["name"])
                                              for g in gemeinden]

    def row(ars, name, lk, flaeche, **more):
        ozg = leistungen.get(lk["ozg_id"], {})
        base = {"leika_key": lk["leika_key"], "leika_name": lk["name"],
                "leika_bezeichnung": lk["name"], "ars": ars, "ars_name": name,
                "ars_federal_state": ars[:2] if ars != BUND_ARS else "",
                "bundesland": "Nordrhein-Westfalen" if ars != BUND_ARS else "",
                "ozgid": lk["ozg_id"], "ozg_bezeichnung": ozg.get("name", ""),
                "url": f"https://portal.example/{ars}/{lk['leika_key']}",
                "online_status": "ok" if rng.random() < 0.9 else "nicht ok",
                "aktiv": "ja", "art_flaechendeckung": flaeche,
                "begruendung_nicht_beruecksichtigt": "",
                "datenstand_pvog_import": f"{stand} 03:12:45", "export_datum": "2026-12-01"}
        return {**base, **more}

    rows = []
    for ars, name in bodies:
        kreis = ars == WARENDORF_ARS
        for lk in rng.sample(kommunal, 20 if kreis else 18):
            flaeche = ("kreisweit flächendeckend" if rng.random() < 0.5
                       else "in mind. einer Kommune verfügbar") if kreis \
                else "in mind. einer Kommune verfügbar"
            rows.append(row(ars, name, lk, flaeche))
    for lk in rng.sample(kommunal + andere, 12):
        rows.append(row(NRW_ARS, "Nordrhein-Westfalen", lk, "landesweit flächendeckend"))
    for lk in rng.sample(andere, 10):
        rows.append(row(BUND_ARS, "Bund", lk, "bundesweit flächendeckend"))
    telgte = gemeinde_ars("05570044")
    used = {r["leika_key"] for r in rows if r["ars"] == telgte}
    spare = iter(lk for lk in kommunal if lk["leika_key"] not in used)
    known = {r["leika_key"] for r in store.leika_rows() if r["leika_key"]}
    unknown_key = next(k for k in (f"9909{i:010d}" for i in range(1, 999)) if k not in known)
    rows += [
        row(telgte, "Telgte", next(spare), "nicht in Auswertung berücksichtigt",
            begruendung_nicht_beruecksichtigt="Onlinedienst nur für Verwaltungsmitarbeitende"),
        row(telgte, "Telgte", next(spare), "in mind. einer Kommune verfügbar", aktiv="",
            online_status="ok"),
        row(telgte, "Telgte", next(spare), "in mind. einer Kommune verfügbar", ozgid="",
            online_status="ok"),
        row(telgte, "Telgte", {"leika_key": unknown_key, "name": "Neue Leistung nach 2019",
                               "ozg_id": "99998"}, "in mind. einer Kommune verfügbar"),
    ]
    return rows


def export_bytes(rows: list[dict], filetype: str, delimiter: str = ";") -> bytes:
    if filetype == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(COLUMNS)
        for r in rows:
            ws.append([r.get(c, "") for c in COLUMNS])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, delimiter=delimiter,
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _json_record(r: dict) -> dict:
    """A row as the JSON pages give it: ``ozgid`` an integer or null, empty ``aktiv`` null."""
    out = dict(r)
    out["ozgid"] = int(r["ozgid"]) if r["ozgid"] else None
    out["aktiv"] = r["aktiv"] or None
    return out


def spring_page(content: list, page: int, size: int, total: int) -> dict:
    pages = (total + size - 1) // size
    return {"content": content, "totalPages": pages, "totalElements": total, "number": page,
            "size": size, "numberOfElements": len(content), "first": page == 0,
            "last": page >= pages - 1, "empty": not content,
            "pageable": {"paged": True, "unpaged": False, "pageNumber": page,
                         "pageSize": size, "offset": page * size,
                         "sort": {"sorted": False, "unsorted": True, "empty": True}},
            "sort": {"sorted": False, "unsorted": True, "empty": True}}


class FakePvog:
    """The fake API; ``with FakePvog(rows) as api:`` serves it at ``api.url`` (…/api/)."""

    def __init__(self, rows: list[dict], *, export_limit: int = 200, delimiter: str = ";",
                 regions: list[dict] | None = None):
        self.rows = rows
        self.export_limit = export_limit
        self.delimiter = delimiter
        self.regions = regions if regions is not None else self._regions_of(rows)
        self.requests: list[dict] = []  # path, query, accept, status of every request
        self.fail: list[int] = []
        self.always: int | None = None
        self.slow: Callable[[str, dict], float] = lambda path, query: 0
        self.export_body: bytes | None = None  # served instead of the export, if set
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @staticmethod
    def _regions_of(rows: list[dict]) -> list[dict]:
        names = {r["ars"]: r["ars_name"] for r in rows}
        names.setdefault("055580004004", "Ascheberg")  # another Kreis: listed, not served
        return [{"ars": a, "arsName": n} for a, n in sorted(names.items())]

    # --- serving ------------------------------------------------------------------------

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        entry = {"path": parts.path, "query": query, "accept": h.headers.get("Accept", "")}
        with self._lock:
            self.requests.append(entry)
            status = self.fail.pop(0) if self.fail else self.always
        delay = self.slow(parts.path, query)
        if delay:
            time.sleep(delay)
        if status:
            return self._send(h, entry, status, b'{"error":"injected"}', "application/json")
        try:
            status, body, ctype = self._route(parts.path, query, entry["accept"])
        except ValueError as exc:
            status, body, ctype = 400, json.dumps({"error": str(exc)}).encode(), \
                "application/json"
        self._send(h, entry, status, body, ctype)

    @staticmethod
    def _send(h, entry: dict, status: int, body: bytes, ctype: str) -> None:
        entry["status"] = status
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    def _route(self, path: str, q: dict, accept: str) -> tuple[int, bytes, str]:
        p = path.removeprefix("/api/").strip("/").split("/")
        if p in (["v1", "ars"], ["public", "v1", "dash", "open-ars"]):
            return self._page(self.regions, q)
        if len(p) == 3 and p[:2] == ["v1", "data"]:
            sel = self._select(p[2], q)
            return self._export(sel, q) if "filetype" in q else self._page(
                [_json_record(r) for r in sel], q)
        if len(p) in (5, 6) and p[:4] == ["public", "v1", "dash", "open-pvog"]:
            sel = self._select(p[4], q)
            if len(p) == 6 and p[5] == "export":
                if "application/octet-stream" not in accept:
                    return 406, b'{"error":"Not Acceptable"}', "application/json"
                return self._export(sel, q)
            return self._page([_json_record(r) for r in sel], q)
        return 404, b'{"error":"Not Found"}', "application/json"

    def _select(self, ars: str, q: dict) -> list[dict]:
        if not ars.isdigit() or len(ars) != 12:
            raise ValueError("ars muss 12 Ziffern haben")
        up = above(ars) if q.get("includeAbove", "true") == "true" else []
        down = q.get("includeBelow", "true") == "true"
        return [r for r in self.rows
                if r["ars"] == ars or r["ars"] in up or (down and below(r["ars"], ars))]

    def _export(self, sel: list[dict], q: dict) -> tuple[int, bytes, str]:
        if q["filetype"] not in ("csv", "xlsx"):
            raise ValueError("filetype muss csv oder xlsx sein")
        if len(sel) > self.export_limit:
            return 413, b'{"error":"Payload Too Large"}', "application/json"
        if self.export_body is not None:
            return 200, self.export_body, "application/octet-stream"
        return 200, export_bytes(sel, q["filetype"], self.delimiter), \
            "application/octet-stream"

    @staticmethod
    def _page(items: list, q: dict) -> tuple[int, bytes, str]:
        page, size = int(q.get("page", 0)), int(q.get("size", 100))
        if page < 0 or not 0 < size <= 1000:
            raise ValueError("page/size ungültig")
        content = items[page * size:(page + 1) * size]
        return 200, json.dumps(spring_page(content, page, size, len(items)),
                               ensure_ascii=False).encode(), "application/json"
