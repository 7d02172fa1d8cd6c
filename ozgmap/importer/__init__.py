"""Import implementation records from CSV or XLSX: validate every row, then write all or nothing.

One class per layout, recognised by the header, behind :class:`~.base.Layout`:

- ``ozgmap`` (:mod:`.ozgmap`): ozgmap's own layout, the template ``/vorlage.csv``;
- ``dashboard`` (:mod:`.dashboard`): the per-region export of the federal "Dashboard Digitale
  Verwaltung" (Open-PVOG), read unchanged;
- ``wsp`` (:mod:`.wsp`): the Wirtschafts-Service-Portal.NRW list of live online services.

Reading files (:mod:`.reading`), checking rows and writing (:mod:`.run`) are shared. A new
layout is one new subclass of :class:`~.base.Layout`, added to :data:`.reading.LAYOUTS`.
"""
from __future__ import annotations

from .base import (FLAECHENDECKUNG, MAX_BYTES, MAX_ROWS, MAX_URL, ImportFailed, ImportIssue,
                   ImportReport, Layout, german_int)
from .dashboard import DASHBOARD_COLUMNS, DASHBOARD_SOURCE, PVOG_SOURCE, ars_to_ags
from .ozgmap import OZGMAP_COLUMNS, TEMPLATE_EXAMPLE, template_csv
from .reading import LAYOUTS, count_rows, detect_layout, read_table
from .run import import_file, import_files, validate, validate_rows
from .wsp import WSP_COLUMNS, WSP_OTHER_SOURCE

__all__ = ["DASHBOARD_COLUMNS", "DASHBOARD_SOURCE", "FLAECHENDECKUNG", "LAYOUTS", "MAX_BYTES",
           "MAX_ROWS", "MAX_URL", "OZGMAP_COLUMNS", "PVOG_SOURCE", "TEMPLATE_EXAMPLE",
           "WSP_COLUMNS", "WSP_OTHER_SOURCE", "ImportFailed", "ImportIssue", "ImportReport",
           "Layout", "ars_to_ags", "count_rows", "detect_layout", "german_int", "import_file",
           "import_files", "read_table", "template_csv", "validate", "validate_rows"]
