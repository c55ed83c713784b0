"""Colour science (placeholder until the calibrated-redness issue lands)."""

from __future__ import annotations


def region_statistics(regions) -> dict:
    """Per-region colour statistics added to ``analyze --json`` regions. Filled by the colour issue."""
    return {}
