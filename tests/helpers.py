"""Small assertions shared by the test modules."""
from __future__ import annotations

import base64
import hashlib
import re

INLINE_BLOCK = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)


def error_of(resp, status, parameter=None) -> dict:
    """The JSON error of *resp*, checked: status, message, and the named parameter."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    err = resp.get_json()["error"]
    assert err["status"] == status and err["message"]
    if parameter is not None:
        assert err.get("parameter") == parameter, err
    return err


def csp(resp) -> dict[str, list[str]]:
    """The Content-Security-Policy as ``{directive: [values]}``."""
    header = resp.headers.get("Content-Security-Policy", "")
    assert header, f"no CSP on {resp.request.path}"
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"{words[0]} twice"
            out[words[0]] = words[1:]
    return out


def inline_blocks(html: str) -> list[tuple[str, str]]:
    """(``script`` or ``style``, content) of every inline block a browser would run or apply
    (JSON data blocks and scripts with ``src`` are not inline code)."""
    return [(kind.lower(), body) for kind, attrs, body in INLINE_BLOCK.findall(html)
            if not (kind.lower() == "script" and ("src=" in attrs or "application/json" in attrs))]


def sha256_source(content: str) -> str:
    """The CSP source that allows an inline block with this content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def assert_inline_blocks_allowed_by_hash(resp) -> int:
    """Every inline script and style of *resp* is allowed by its sha256, and the CSP allows
    nothing else: no nonce, no other hash, no 'unsafe-inline'. Returns the number of blocks."""
    policy, blocks = csp(resp), inline_blocks(resp.get_data(as_text=True))
    where = resp.request.path
    for kind in ("script", "style"):
        wanted = {sha256_source(body) for k, body in blocks if k == kind}
        got = policy[f"{kind}-src"]
        assert got[0] == "'self'" and len(got) == len(set(got)), (where, kind, got)
        assert set(got[1:]) == wanted, (where, kind, set(got[1:]) ^ wanted)
    return len(blocks)
