"""The OZG catalogue: sha256-checked, parsed from the KDN dump or the documented CSV."""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from ozgmap import catalog, config


@pytest.fixture(scope="module")
def dump_path(tmp_path_factory) -> Path:
    return catalog.reference_file(config.CATALOG_FILE, config.default_data_dir(),
                                  tmp_path_factory.mktemp("cache"), download=False)


def test_dump_counts_after_sha256_checked_load(dump_path):
    assert catalog.sha256_of(dump_path) == config.SHA256[config.CATALOG_FILE]
    cat = catalog.catalog_from_dump(dump_path)
    assert len(cat.themenfelder) == 14
    assert len(cat.lagen) == 55
    assert len(cat.leistungen) == 557
    assert len(cat.leika) == 5249
    assert cat.statuses == ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
    assert cat.maturities == ["0", "1", "2", "3", "4"]


def test_every_leistung_has_lage_and_themenfeld(dump_path):
    cat = catalog.catalog_from_dump(dump_path)
    lagen = {r["id"] for r in cat.lagen}
    tf = {r["id"] for r in cat.themenfelder}
    for lst in cat.leistungen:
        assert lst["lage_id"] in lagen and lst["themenfeld_id"] in tf
    ozg_ids = {lst["ozg_id"] for lst in cat.leistungen}
    assert len(ozg_ids) == 557 and all(o.isdigit() for o in ozg_ids)


def test_tampered_mirror_is_refused(tmp_path):
    bad = tmp_path / config.CATALOG_FILE
    bad.parent.mkdir(parents=True)
    bad.write_text("INSERT INTO `ozg_subject` (`id`) VALUES (1);")
    with pytest.raises(catalog.DataFileError, match="sha256"):
        catalog.reference_file(config.CATALOG_FILE, tmp_path, tmp_path / "cache")


def test_missing_file_without_download_is_a_clear_error(tmp_path):
    with pytest.raises(catalog.DataFileError, match="nicht gefunden"):
        catalog.reference_file(config.CATALOG_FILE, tmp_path, tmp_path / "c", download=False)


def test_mysql_parser_handles_escapes_and_nulls():
    text = ("INSERT INTO `t` (`a`, `b`, `c`) VALUES\n (1,'it\\'s; (x)',NULL),\n"
            " (2,'a''b\\nc',3.5);\nINSERT INTO `u` (`x`) VALUES (7);")
    rows = catalog.parse_mysql_dump(text)
    assert rows["t"] == [{"a": 1, "b": "it's; (x)", "c": None},
                         {"a": 2, "b": "a'b\nc", "c": 3.5}]
    assert rows["u"] == [{"x": 7}]


def test_catalogue_csv_in_excel_german_variant(tmp_path):
    p = tmp_path / "katalog.csv"
    p.write_bytes(("themenfeld;lage;ozg_id;leistung;leika_key;leika_name;leika_typ\n"
                   "Bauen & Wohnen;Bauen;20001;Baugenehmigung;99012001000000;Bauantrag;2/3\n"
                   "Bauen & Wohnen;Bauen;20001;Baugenehmigung;99012001001000;Änderung;2/3\n"
                   "Steuern & Zoll;Zoll;20002;Zollanmeldung;;;1\n").encode("cp1252"))
    cat = catalog.load_catalog(p)
    assert [t["name"] for t in cat.themenfelder] == ["Bauen & Wohnen", "Steuern & Zoll"]
    assert {lst["ozg_id"]: lst["kommunal"] for lst in cat.leistungen} == {
        "20001": True, "20002": False}
    assert [r["name"] for r in cat.leika] == ["Bauantrag", "Änderung"]


def test_catalogue_csv_errors_name_line_and_column(tmp_path):
    p = tmp_path / "katalog.csv"
    p.write_text("themenfeld,lage,ozg_id,leistung,leika_key,leika_name,leika_typ\n"
                 "A,B,1,L,123,x,1\n")
    with pytest.raises(ValueError, match="Zeile 2: Spalte leika_key"):
        catalog.load_catalog(p)
    p.write_text("themenfeld,ozg_id\nA,1\n")
    with pytest.raises(ValueError, match="Zeile 1: Spalten fehlen"):
        catalog.load_catalog(p)


@pytest.fixture
def http_dir(tmp_path):
    """A local HTTP server over a folder (no network: stands in for the pinned upstream)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_download_from_upstream_is_checked_and_cached(http_dir, dump_path, monkeypatch,
                                                      tmp_path):
    root, base = http_dir
    (root / "dump.sql").write_bytes(dump_path.read_bytes())
    monkeypatch.setitem(config.UPSTREAM_URLS, config.CATALOG_FILE, f"{base}/dump.sql")
    got = catalog.reference_file(config.CATALOG_FILE, None, tmp_path / "cache")
    assert got == tmp_path / "cache" / config.CATALOG_FILE
    assert catalog.sha256_of(got) == config.SHA256[config.CATALOG_FILE]


def test_download_with_wrong_sha256_is_refused_and_not_kept(http_dir, monkeypatch, tmp_path):
    root, base = http_dir
    (root / "dump.sql").write_text("INSERT INTO `ozg_subject` (`id`) VALUES (1);")
    monkeypatch.setitem(config.UPSTREAM_URLS, config.CATALOG_FILE, f"{base}/dump.sql")
    with pytest.raises(catalog.DataFileError, match="sha256"):
        catalog.reference_file(config.CATALOG_FILE, None, tmp_path / "cache")
    assert not (tmp_path / "cache" / config.CATALOG_FILE).exists()
