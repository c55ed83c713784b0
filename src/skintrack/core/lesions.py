"""Lesion finding (placeholder until the pre-treatment check issue lands)."""

from __future__ import annotations


def find_lesions(rgb, face, regions) -> list:
    """Findings for one face; filled by the pre-treatment check issue."""
    return []
