"""Real OGC API - Features clients against a running server: OWSLib and GDAL's OAPIF driver.

The server is werkzeug's threaded HTTP server on a free 127.0.0.1 port over a copy of the
test database. Expected counts and values come from the store and the coverage figures.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading

import pytest
import shapely
from werkzeug.serving import make_server

try:
    from owslib.ogcapi.features import Features
except ImportError:  # reported by the fixture that needs it
    Features = None

from ozgmap import services
from ozgmap.filters import Filter

TELGTE, WARENDORF = "05570044", "05570"
LOCAL = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def _need(what: str, present: bool) -> None:
    if present:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} fehlt: `make test` installiert es.")
    pytest.skip(f"{what} ist nicht installiert (make test installiert es)")


@pytest.fixture(scope="module")
def server(app_copy):
    """(base URL, app) of a server running in a thread until the module is done."""
    app = app_copy("ogc_server")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def expected(server):
    """Gemeinden and Kreise of the store and the default figures, read through the app."""
    _url, app = server
    with app.app_context():
        snap = services(app).coverage.snapshot()
        figures = {r["ags"]: r for r in services(app).coverage.figures(Filter())}
        return {"gemeinden": sorted(g["ags"] for g in snap.gemeinden),
                "kreise": sorted(k["ags"] for k in snap.kreise), "figures": figures,
                "boundaries": services(app).boundaries}


@pytest.fixture
def no_proxy(monkeypatch):
    for k, v in LOCAL.items():
        monkeypatch.setenv(k, v)


# --- OWSLib ------------------------------------------------------------------------------

@pytest.fixture
def owslib_features(server, no_proxy):
    if Features is None:
        _need("OWSLib", False)
    return Features(server[0] + "/ogc")


def test_owslib_lists_both_collections_and_reads_the_openapi_document(owslib_features):
    w = owslib_features
    assert [c["id"] for c in w.collections()["collections"]] == ["gemeinden", "kreise"]
    assert w.feature_collections() == ["gemeinden", "kreise"]
    assert "/collections/{collectionId}/items" in w.api()["paths"]
    assert any(c.endswith("/conf/core") for c in w.conformance()["conformsTo"])


def test_owslib_pages_through_all_gemeinden(owslib_features, expected):
    seen, offset = [], 0
    while True:
        page = owslib_features.collection_items("gemeinden", limit=150, offset=offset)
        assert page["numberMatched"] == len(expected["gemeinden"])
        assert page["numberReturned"] == len(page["features"])
        seen += [f["id"] for f in page["features"]]
        if not any(lk["rel"] == "next" for lk in page["links"]):
            break
        offset += 150
    assert seen == expected["gemeinden"]
    assert offset == 150 * (len(seen) // 150)


def test_owslib_reads_one_feature_and_a_bbox(owslib_features, expected):
    feat = owslib_features.collection_item("gemeinden", TELGTE)
    assert feat["properties"] == expected["figures"][TELGTE]
    box = (7.8, 51.9, 8.0, 52.0)
    kreise = owslib_features.collection_items("kreise", bbox=list(box), limit=100)
    gdf = expected["boundaries"].kreise
    assert [f["id"] for f in kreise["features"]] == sorted(
        gdf[gdf.intersects(shapely.box(*box))]["ags"])


# --- GDAL (ogrinfo, OAPIF driver) ------------------------------------------------------------

def ogrinfo(*args: str) -> str:
    _need("ogrinfo (Debian gdal-bin)", shutil.which("ogrinfo") is not None)
    env = {**os.environ, **LOCAL, "GDAL_HTTP_TIMEOUT": "60", "CPL_VSIL_CURL_CACHE_SIZE": "0"}
    proc = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True,
                          timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


@pytest.mark.parametrize("cid", ["gemeinden", "kreise"])
def test_ogrinfo_reports_feature_count_and_fields(server, expected, cid):
    out = ogrinfo("-so", f"OAPIF:{server[0]}/ogc", cid)
    assert f"Feature Count: {len(expected[cid])}\n" in out
    fields = dict(re.findall(r"^(\w+): (String|Integer|Real|Integer64) ", out, re.M))
    if cid == "gemeinden":
        want = {k: "String" for k in ("ags", "name", "bez", "kreis_ags", "kreis")}
        want.update({"leistungen_im_filter": "Integer", "online": "Integer",
                     "anteil": "Real", "eigene": "Integer"})
    else:
        want = {"ags": "String", "name": "String", "gemeinden": "Integer",
                "anteil_mittel": "Real", "anteil_median": "Real"}
    assert want.items() <= fields.items(), fields


def test_ogrinfo_reads_every_kreis_with_its_values(server, expected):
    out = ogrinfo("-al", "-q", f"OAPIF:{server[0]}/ogc", "kreise")
    feats = out.split("OGRFeature(kreise)")[1:]
    assert sorted(re.search(r"^\s+ags \(String\) = (\d+)$", f, re.M).group(1)
                  for f in feats) == expected["kreise"]
    warendorf = next(f for f in feats if f"ags (String) = {WARENDORF}\n" in f)
    rows = [r for r in expected["figures"].values() if r["kreis_ags"] == WARENDORF]
    assert f"gemeinden (Integer) = {len(rows)}\n" in warendorf
    assert re.search(r"^\s+(MULTI)?POLYGON \(", warendorf, re.M)


def test_ogrinfo_spatial_filter_gets_the_intersecting_gemeinden(server, expected):
    box = (7.8, 51.9, 8.0, 52.0)
    out = ogrinfo("-q", "-spat", *map(str, box), f"OAPIF:{server[0]}/ogc", "gemeinden")
    got = sorted(re.findall(r"^\s+ags \(String\) = (\d+)$", out, re.M))
    gdf = expected["boundaries"].gemeinden
    assert got == sorted(gdf[gdf.intersects(shapely.box(*box))]["ags"])
    assert TELGTE in got
