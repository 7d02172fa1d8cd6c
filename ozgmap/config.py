"""Settings from environment variables (``OZGMAP_*``), with safe embedded defaults.

Every setting has a default that works on a fresh checkout: SQLite in ``instance/``, the
shipped NRW boundaries, no basemap tiles, no network.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

#: The checkout (or source tree) that holds ``boundaries/``, ``templates/`` and ``instance/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Pinned upstream of the OZG catalogue and the sha256 of every reference file we read.
CATALOG_URL = (
    "https://raw.githubusercontent.com/kdn-nrw/OZG-Datenbank-NRW/"
    "d6dafea5e014b60455a5bd04d7ac26191379b998/doc-dev/databases/symfony.data.sql"
)
CATALOG_FILE = "kdn-ozg-datenbank-nrw/symfony.data.sql"
WSP_FILE = "wsp-nrw/Live-11.11-1.xlsx"
SHA256 = {
    CATALOG_FILE: "c11dcc4db82c5bae73d2e8996185dae0e5e6a7f371721049f294cba7a797ea0a",
    WSP_FILE: "dd9a17ff2808cf2e54301f7a992fddf3db757fe073b951da9dc8b4ce1eee0958",
}
UPSTREAM_URLS = {CATALOG_FILE: CATALOG_URL}

#: Credits shown in the UI, the API and the README.
CREDIT_BOUNDARIES = "© GeoBasis-DE / BKG 2016 (Daten verändert)"
CREDIT_BOUNDARIES_URL = "https://www.bkg.bund.de"
LICENCE_BOUNDARIES = "dl-de/by-2-0"
LICENCE_BOUNDARIES_URL = "https://www.govdata.de/dl-de/by-2-0"
CREDIT_CATALOG = "OZG-Katalog: KDN OZG-Datenbank NRW (Stand 12/2019), MIT-Lizenz"
CREDIT_CATALOG_URL = "https://github.com/kdn-nrw/OZG-Datenbank-NRW"
SAMPLE_SOURCE = "Beispieldaten"

#: The Länder by their AGS (two digits).
LAND_NAMES = {"01": "Schleswig-Holstein", "02": "Hamburg", "03": "Niedersachsen",
              "04": "Bremen", "05": "Nordrhein-Westfalen", "06": "Hessen",
              "07": "Rheinland-Pfalz", "08": "Baden-Württemberg", "09": "Bayern",
              "10": "Saarland", "11": "Berlin", "12": "Brandenburg",
              "13": "Mecklenburg-Vorpommern", "14": "Sachsen", "15": "Sachsen-Anhalt",
              "16": "Thüringen"}

#: The Wirtschafts-Service-Portal.NRW list of live services (real, Land-wide; ``WSP_FILE``):
#: ``quelle`` of its records (the UI prefixes "Quelle: "), its Stand, and the portal whose
#: paths its link columns hold (verified: the portal is served at service.wirtschaft.nrw).
WSP_SOURCE = "Wirtschafts-Service-Portal.NRW (d-NRW), Liste der Live-Dienste, Stand 11.11.2024"
CREDIT_WSP = f"Quelle: {WSP_SOURCE}"
WSP_STAND = dt.date(2024, 11, 11)
WSP_BASE_URL = "https://service.wirtschaft.nrw"

#: The `servers` entry of the published OpenAPI description of the Open-PVOG data API.
DASHBOARD_API = "https://digitale-verwaltung.api.proxy.bund.dev/api/"


def default_data_dir() -> Path | None:
    """``OZGMAP_DATA_DIR`` or, where unset, ``../shared/data`` beside the checkout if present."""
    env = os.environ.get("OZGMAP_DATA_DIR")
    if env:
        return Path(env)
    shared = PROJECT_ROOT.parent / "shared" / "data"
    return shared if shared.is_dir() else None


def load_config() -> dict:
    """Flask config keys for ozgmap, read from the environment at call time."""
    instance = Path(os.environ.get("OZGMAP_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    db_url = os.environ.get("OZGMAP_DATABASE_URL") or f"sqlite:///{instance / 'ozgmap.sqlite'}"
    return {
        "OZGMAP_INSTANCE_DIR": str(instance),
        "OZGMAP_DATABASE_URL": db_url,
        "OZGMAP_DATA_DIR": str(default_data_dir() or ""),
        "OZGMAP_CACHE_DIR": os.environ.get("OZGMAP_CACHE_DIR", str(instance / "cache")),
        # the records' columns of each data version, memory-mapped by every worker of the
        # machine (ozgmap.columns); empty: each process builds its own in memory
        "OZGMAP_SNAPSHOT_DIR": os.environ.get("OZGMAP_SNAPSHOT_DIR",
                                              str(instance / "snapshot")),
        "OZGMAP_BOUNDARIES_DIR": os.environ.get(
            "OZGMAP_BOUNDARIES_DIR", str(PROJECT_ROOT / "boundaries")),
        # "nrw" (shipped) or "de" (built by scripts/build_boundaries.py --all)
        "OZGMAP_BOUNDARIES": os.environ.get("OZGMAP_BOUNDARIES", "nrw"),
        # above this many Gemeinden the map's first view draws Kreise (Germany: 11,299)
        "OZGMAP_KREISWEISE_AB": os.environ.get("OZGMAP_KREISWEISE_AB", "2000"),
        # Basemap: empty = no tiles (default). Otherwise a URL template
        # "https://tiles.example/{z}/{x}/{y}.png" and optional OZGMAP_TILES_ATTRIBUTION.
        "OZGMAP_TILES": os.environ.get("OZGMAP_TILES", ""),
        "OZGMAP_TILES_ATTRIBUTION": os.environ.get("OZGMAP_TILES_ATTRIBUTION", ""),
        # Origins allowed to frame /embed; "*" = any (documented default).
        "OZGMAP_FRAME_ANCESTORS": os.environ.get("OZGMAP_FRAME_ANCESTORS", "*"),
        # The Open-PVOG data API (docs/import.md): server URL as the OpenAPI file's `servers`
        # entry writes it, the form of its paths (v1 | datahub), and how politely to ask.
        "OZGMAP_DASHBOARD_API": os.environ.get("OZGMAP_DASHBOARD_API", DASHBOARD_API),
        "OZGMAP_DASHBOARD_FORM": os.environ.get("OZGMAP_DASHBOARD_FORM", "v1"),
        "OZGMAP_DASHBOARD_TIMEOUT": float(os.environ.get("OZGMAP_DASHBOARD_TIMEOUT", 60)),
        "OZGMAP_DASHBOARD_RETRIES": int(os.environ.get("OZGMAP_DASHBOARD_RETRIES", 4)),
        "OZGMAP_DASHBOARD_BACKOFF": float(os.environ.get("OZGMAP_DASHBOARD_BACKOFF", 2)),
        "OZGMAP_DASHBOARD_INTERVAL": float(os.environ.get("OZGMAP_DASHBOARD_INTERVAL", 1)),
        "OZGMAP_DASHBOARD_PAGE_SIZE": int(os.environ.get("OZGMAP_DASHBOARD_PAGE_SIZE", 500)),
        # `ozgmap refresh` holds an import whose rows of a region fell by more than this (%)
        "OZGMAP_REFRESH_MAX_DROP": float(os.environ.get("OZGMAP_REFRESH_MAX_DROP", 20)),
        # The public address (scheme://host[:port]); when set, every absolute URL uses it and
        # requests for any other Host are refused (400). Required in production (README).
        "OZGMAP_BASE_URL": os.environ.get("OZGMAP_BASE_URL", "").strip().rstrip("/"),
        # Seconds between two reloads of a worker's data snapshot after writes (debounce).
        "OZGMAP_RELOAD_INTERVAL": float(os.environ.get("OZGMAP_RELOAD_INTERVAL", 1.0)),
        # Writes per API token and worker: a burst of this many, then this many per second.
        "OZGMAP_WRITE_BURST": int(os.environ.get("OZGMAP_WRITE_BURST", 60)),
        "OZGMAP_WRITE_RATE": float(os.environ.get("OZGMAP_WRITE_RATE", 2.0)),
        "OZGMAP_CONTACT": os.environ.get("OZGMAP_CONTACT", "barrierefreiheit@example.org"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("OZGMAP_MAX_UPLOAD", 10 * 1024 * 1024)),
    }
