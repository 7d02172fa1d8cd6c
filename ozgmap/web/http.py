"""HTTP manners shared by every route: errors, security headers, ETag, gzip."""
from __future__ import annotations

import base64
import gzip
import hashlib
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import parse_accept_header

from .params import BadParameter, Unresolved

COMPRESSIBLE = {"text/html", "text/css", "text/csv", "text/plain", "application/json",
                "application/geo+json", "application/javascript", "text/javascript",
                "image/svg+xml"}
_GZIP_CACHE: "OrderedDict[str, bytes]" = OrderedDict()
_GZIP_CACHE_MAX = 64

MESSAGES = {
    400: "Ungültige Anfrage.",
    404: "Diese Seite oder dieses Gebiet gibt es nicht.",
    405: "Diese Methode ist hier nicht erlaubt.",
    413: "Die gesendeten Daten sind zu groß.",
    415: "Dieser Inhaltstyp wird nicht unterstützt.",
    416: "Der angefragte Bereich der Datei ist nicht verfügbar.",
    422: "Die Daten konnten nicht verarbeitet werden.",
    500: "Interner Fehler. Bitte später erneut versuchen.",
}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/ogc")) or request.path.endswith(".json") or (
        request.accept_mimetypes.best == "application/json")


def error_response(status: int, message: str, parameter: str | None = None) -> Response:
    """A JSON error for API clients, a calm German HTML page for people."""
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if parameter is not None:
            body["error"]["parameter"] = parameter
        resp = jsonify(body)
    else:
        resp = Response(render_template("error.html", status=status, message=message,
                                        parameter=parameter), mimetype="text/html")
    resp.status_code = status
    return resp


def unresolved_response(exc: Unresolved) -> Response:
    """A page's name that named several entries: a German choice list, each a link to the
    same page with the id (HTTP 300); one that named none: the message and a link to the
    page without it (HTTP 400)."""
    def link(value: str | None) -> str:
        args = {k: v for k, v in request.args.items() if k != exc.parameter}
        if value is not None:
            args[exc.parameter] = value
        return request.path + ("?" + urlencode(args) if args else "")
    status = 300 if exc.candidates else 400
    resp = Response(render_template(
        "error.html", status=status, message=exc.message, parameter=exc.parameter,
        choices=[{"name": name, "id": ident, "url": link(ident)}
                 for ident, name in exc.candidates],
        without=link(None)), mimetype="text/html")
    resp.status_code = status
    return resp


def csp_hash(content: str) -> str:
    """CSP source that allows an inline block with exactly this content."""
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_block(kind: str, content: str) -> Markup:
    """``<script>`` or ``<style>`` (*kind*) with *content*, allowed by this response's CSP
    through its sha256. Only for text the app writes itself, never for request data: the hash
    lets exactly this block run, and nothing injected beside it."""
    allow_inline([(kind, csp_hash(content))])
    return Markup(f"<{kind}>{content}</{kind}>")


def allow_inline(sources: list[tuple[str, str]]) -> None:
    """Add (kind, hash source) pairs to this response's CSP (for a page served from a cache,
    which no template rendered in this request)."""
    g.setdefault("csp_inline", []).extend(sources)


def inline_sources() -> list[tuple[str, str]]:
    """What :func:`inline_block` has allowed so far in this request."""
    return list(g.get("csp_inline", ()))


IMMUTABLE = "public, max-age=31536000, immutable"


def versioned(url: str) -> str:
    """A ``/static/…`` URL with the content hash of its file (``?v=``): browsers keep such a
    file for a year without asking again, and a changed file gets a new URL."""
    path = url.split("?", 1)[0]
    if not path.startswith("/static/"):
        return url
    return f"{path}?v={_file_version(current_app.static_folder, path[len('/static/'):])}"


@lru_cache(maxsize=256)
def _file_version(folder: str, filename: str) -> str:
    return hashlib.sha1((Path(folder) / filename).read_bytes()).hexdigest()[:12]


class PublicAddress:
    """WSGI middleware: with ``OZGMAP_BASE_URL`` set, the request's scheme and host are the
    public address's, so every absolute URL the app builds (OGC links, snippets, redirects)
    uses it, and a request for another host is marked for a 400 (``bad_host``)."""

    def __init__(self, wsgi_app, config: dict):
        self.wsgi_app, self.config = wsgi_app, config

    def __call__(self, environ, start_response):
        base = self.config.get("OZGMAP_BASE_URL") or ""
        if base:
            parts = urlsplit(base)
            if _host_of(environ.get("HTTP_HOST", ""), parts.scheme) != \
                    _host_of(parts.netloc, parts.scheme):
                environ["ozgmap.bad_host"] = True
            environ["wsgi.url_scheme"] = parts.scheme
            environ["HTTP_HOST"] = parts.netloc
        return self.wsgi_app(environ, start_response)


def _host_of(netloc: str, scheme: str) -> str:
    """*netloc* lower-cased, without the scheme's default port."""
    host = netloc.strip().lower()
    default = ":443" if scheme == "https" else ":80"
    return host[:-len(default)] if host.endswith(default) else host


def register_http(app: Flask) -> None:
    app.wsgi_app = PublicAddress(app.wsgi_app, app.config)

    app.jinja_env.filters["versioned"] = versioned
    app.jinja_env.globals.update(
        inline_script=lambda content: inline_block("script", content),
        inline_style=lambda content: inline_block("style", content))

    @app.before_request
    def _public_host():
        if request.environ.get("ozgmap.bad_host"):
            return error_response(400, "Diese Adresse (Host) bedient der Dienst nicht.",
                                  "Host")
        return None

    @app.before_request
    def _limit():
        # Flask checks MAX_CONTENT_LENGTH only when a body is read; no route reads one, so
        # refuse an announced oversized body here (413), whatever the method.
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()

    @app.errorhandler(BadParameter)
    def _bad_param(exc: BadParameter):
        if isinstance(exc, Unresolved) and not wants_json():
            return unresolved_response(exc)
        return error_response(400, exc.message, exc.parameter)

    @app.errorhandler(LookupError)
    def _not_found(exc: LookupError):
        return error_response(404, str(exc.args[0]) if exc.args else MESSAGES[404])

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        msg = MESSAGES.get(exc.code or 500, exc.name)
        resp = error_response(exc.code or 500, msg)
        if exc.code == 405 and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        current_app.logger.exception("Unerwarteter Fehler bei %s", request.path)
        return error_response(500, MESSAGES[500])

    @app.after_request
    def _finish(resp: Response) -> Response:
        _security_headers(resp)
        if request.method in ("GET", "HEAD") and resp.status_code == 200:
            if request.endpoint == "static" and request.args.get("v") and \
                    versioned(request.path) == f"{request.path}?v={request.args['v']}":
                resp.headers["Cache-Control"] = IMMUTABLE
            _conditional_and_gzip(resp)
        if "Cache-Control" not in resp.headers:
            # data can change any moment: browsers ask again each time (a cheap 304 by the
            # ETag) instead of guessing a lifetime from Last-Modified
            resp.headers["Cache-Control"] = "no-cache"
        return resp


def _security_headers(resp: Response) -> None:
    inline = g.get("csp_inline", ())
    scripts, styles = ("".join(f" {h}" for h in dict.fromkeys(h for k, h in inline if k == kind))
                       for kind in ("script", "style"))
    tiles = current_app.config.get("OZGMAP_TILES", "")
    img_src = "'self' data:"
    if tiles.startswith("https://") or tiles.startswith("http://"):
        img_src += " " + "/".join(tiles.split("/", 3)[:3])
    framers = "'self'"
    if request.path == "/embed":
        allowed = current_app.config.get("OZGMAP_FRAME_ANCESTORS", "*").strip() or "*"
        # 'self' too: the /einbetten preview frames /embed from the app's own origin
        framers = allowed if allowed == "*" else f"'self' {allowed}"
    resp.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'{scripts}; "
        f"style-src 'self'{styles}; img-src {img_src}; connect-src 'self'; "
        f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {framers}")
    if request.path != "/embed":
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    resp.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"


def _conditional_and_gzip(resp: Response) -> None:
    """ETag from the body, 304 on a match, gzip when the client asks for it."""
    if resp.direct_passthrough:  # static files: read them once into memory
        resp.direct_passthrough = False
    body = resp.get_data()
    etag = resp.get_etag()[0] or hashlib.sha1(body).hexdigest()[:20]
    resp.set_etag(etag)
    resp.vary.add("Accept-Encoding")
    if not resp.last_modified and getattr(g, "last_modified", None):
        resp.last_modified = g.last_modified
    candidates = {t.strip().strip('"').removeprefix("W/").strip('"').removesuffix("-gz")
                  for t in request.headers.get("If-None-Match", "").split(",") if t.strip()}
    if etag in candidates or "*" in candidates:
        resp.status_code = 304
        resp.set_data(b"")
        resp.headers.pop("Content-Length", None)
        resp.headers.pop("Content-Type", None)
        return
    accepted = parse_accept_header(request.headers.get("Accept-Encoding", ""))
    if (accepted.quality("gzip") > 0 and len(body) > 1024
            and resp.mimetype in COMPRESSIBLE and "Content-Encoding" not in resp.headers):
        packed = _GZIP_CACHE.get(etag)
        if packed is None:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            _GZIP_CACHE[etag] = packed
            if len(_GZIP_CACHE) > _GZIP_CACHE_MAX:
                _GZIP_CACHE.popitem(last=False)
        resp.set_data(packed)
        resp.headers["Content-Encoding"] = "gzip"
        resp.set_etag(etag + "-gz")
