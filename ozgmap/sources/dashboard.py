"""Client of the federal "Dashboard Digitale Verwaltung" data API (Open-PVOG), no Flask.

Two forms of the same data (``docs/import.md``):

``v1``       the documented OpenAPI form: ``GET v1/ars`` (all regions, paged) and
             ``GET v1/data/{ars}`` (JSON pages, or a file with ``filetype=csv|xlsx``)
``datahub``  the newer "OZG Data Hub": ``public/v1/dash/open-ars``,
             ``public/v1/dash/open-pvog/{ars}`` (JSON pages) and ``…/{ars}/export`` (file,
             only with ``Accept: application/octet-stream``)

Both take ``includeAbove``/``includeBelow``; JSON answers are Spring ``Page`` objects
(``content``, ``totalPages``, ``number``, ``last`` …, pages counted from 0). The base URL is
the OpenAPI ``servers`` entry (ending in ``/api/``). Every request is spaced by a polite
interval, retried with exponential backoff on 429, 5xx, timeouts and connection errors, and
given up with a German message naming the URL and the last status.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

import httpx

from .. import safety
from ..config import DASHBOARD_API

MAX_FILE = 50 * 1024 * 1024  # an export larger than this is refused (read the pages instead)
RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Form:
    """The paths of one form of the API, relative to the base URL."""

    regions: str
    records: str
    export: str
    accept_file: str | None = None  # Accept header an export needs


FORMS = {
    "v1": Form(regions="v1/ars", records="v1/data/{ars}", export="v1/data/{ars}"),
    "datahub": Form(regions="public/v1/dash/open-ars", records="public/v1/dash/open-pvog/{ars}",
                    export="public/v1/dash/open-pvog/{ars}/export",
                    accept_file="application/octet-stream"),
}


class DashboardError(Exception):
    """The API could not be used (gave up after retries, refused the request, bad answer)."""


class ExportTooLarge(DashboardError):
    """HTTP 413 for a file export: the region is too large for one file; read the pages."""


def _status_text(status: int) -> str:
    reason = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {reason}" if reason else f"HTTP {status}"


class DashboardClient:
    """One session with the API; *interval* seconds at least between two requests."""

    def __init__(self, base: str = DASHBOARD_API, form: str = "v1", *, timeout: float = 30,
                 retries: int = 4, backoff: float = 1.0, interval: float = 0.5,
                 page_size: int = 500, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        if form not in FORMS:
            raise DashboardError(f"OZGMAP_DASHBOARD_FORM muss „v1“ oder „datahub“ sein, "
                                 f"nicht „{form}“")
        if not base.startswith(("http://", "https://")):
            raise DashboardError(f"OZGMAP_DASHBOARD_API muss mit http:// oder https:// "
                                 f"beginnen: {base}")
        self.base = base.rstrip("/") + "/"
        self.form = FORMS[form]
        self.retries, self.backoff, self.interval = retries, backoff, interval
        self.page_size = page_size
        self.requests = 0
        self._sleep = sleep
        self._last = float("-inf")
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True,
                                  headers={"User-Agent": "ozgmap (OZG-Landkarte)"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- requests --------------------------------------------------------------------------

    def _wait_turn(self) -> None:
        pause = self._last + self.interval - time.monotonic()
        if pause > 0:
            self._sleep(pause)
        self._last = time.monotonic()

    def get(self, path: str, params: dict, accept: str = "application/json") -> httpx.Response:
        """GET *path* with retries; the answer of status 200, else :class:`DashboardError`
        (:class:`ExportTooLarge` for 413)."""
        url = self.base + path
        shown = str(httpx.URL(url, params=params))
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self._delay(attempt, last))
            self._wait_turn()
            self.requests += 1
            try:
                resp = self._http.get(url, params=params, headers={"Accept": accept})
            except httpx.TimeoutException:
                last = "keine Antwort (Zeitüberschreitung)"
                continue
            except httpx.TransportError as exc:
                last = f"nicht erreichbar ({type(exc).__name__}: {exc})"
                continue
            if resp.status_code == 200:
                return resp
            last = _status_text(resp.status_code)
            self._retry_after = resp.headers.get("Retry-After")
            if resp.status_code == 413:
                raise ExportTooLarge(f"{shown}: {last}")
            if resp.status_code not in RETRY_STATUS:
                raise DashboardError(f"Dashboard-API lehnt die Anfrage ab: {shown} – {last}")
        raise DashboardError(f"Dashboard-API antwortet nicht richtig, aufgegeben nach "
                             f"{self.retries + 1} Versuchen: {shown} – {last}")

    _retry_after: str | None = None

    def _delay(self, attempt: int, last: str) -> float:
        """Exponential backoff; a server's Retry-After (seconds) is honoured up to 60 s."""
        delay = self.backoff * 2 ** (attempt - 1)
        if last.startswith("HTTP") and self._retry_after and self._retry_after.isdigit():
            delay = max(delay, min(60.0, float(self._retry_after)))
        return delay

    def _json(self, resp: httpx.Response, shown: str) -> dict:
        try:
            data = resp.json()
        except ValueError:
            raise DashboardError(f"Dashboard-API liefert kein JSON: {shown}") from None
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise DashboardError(f"Dashboard-API liefert keine Seite (content fehlt): {shown}")
        return data

    def pages(self, path: str, params: dict, start: int = 0) -> Iterator[tuple[int, dict]]:
        """``(page number, Spring Page)`` from page *start* until ``last`` (or an empty page)."""
        page = start
        while True:
            query = {**params, "page": str(page), "size": str(self.page_size)}
            resp = self.get(path, query)
            data = self._json(resp, str(resp.request.url))
            yield page, data
            total = data.get("totalPages")
            if data.get("last") or not data["content"] or (
                    isinstance(total, int) and page + 1 >= total):
                return
            page += 1

    # --- the endpoints ---------------------------------------------------------------------

    def regions(self) -> list[dict]:
        """Every Gebietskörperschaft: ``[{"ars": "055700044044", "arsName": "Telgte"}, …]``."""
        out = []
        for _n, page in self.pages(self.form.regions, {"order": "asc"}):
            out += [{"ars": str(r.get("ars", "")), "arsName": r.get("arsName") or ""}
                    for r in page["content"] if isinstance(r, dict)]
        return out

    @staticmethod
    def _scope(include_above: bool, include_below: bool) -> dict:
        return {"includeAbove": "true" if include_above else "false",
                "includeBelow": "true" if include_below else "false"}

    def export(self, ars: str, *, include_above: bool, include_below: bool,
               filetype: str = "csv") -> bytes:
        """The file export of one region (CSV or XLSX bytes); :class:`ExportTooLarge` on 413."""
        params = {"filetype": filetype, **self._scope(include_above, include_below)}
        resp = self.get(self.form.export.format(ars=ars), params,
                        accept=self.form.accept_file or "application/octet-stream, */*")
        if len(resp.content) > MAX_FILE:
            raise ExportTooLarge(f"Export für ARS {ars} ist größer als "
                                 f"{MAX_FILE // (1024 * 1024)} MB")
        if resp.content.startswith(b"PK"):  # an XLSX archive: refuse a zip bomb unopened
            try:
                safety.check_xlsx(io.BytesIO(resp.content))
            except safety.UnsafeArchive as exc:
                raise DashboardError(f"Export für ARS {ars} abgelehnt: {exc}") from None
        return resp.content

    def record_pages(self, ars: str, *, include_above: bool, include_below: bool,
                     start: int = 0) -> Iterator[tuple[int, dict]]:
        """The records of one region as JSON pages (the way round a 413)."""
        return self.pages(self.form.records.format(ars=ars),
                          {"order": "asc", **self._scope(include_above, include_below)}, start)
