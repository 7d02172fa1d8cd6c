"""Clients of outside data (no Flask): the federal Open-PVOG data API."""
