#!/usr/bin/env python3
"""The map's figures for NRW (bytes and time to first byte of ``/`` and ``/api/gebiete``,
against the naive folium map and static files): ``scripts/bench.py --gebiet nrw``.

    python scripts/bench_map.py [-n 30] [--zeichnen 5] [--ohne-a]
"""
import sys

from bench import main

if __name__ == "__main__":
    sys.exit(main(["--gebiet", "nrw", *sys.argv[1:]]))
