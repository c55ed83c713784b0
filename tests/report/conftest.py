"""Report fixtures: a report model assembled from real analyses of the sample photos."""

from __future__ import annotations

import shutil

import pytest

from tests.report._models import sample_model


@pytest.fixture(scope="session")
def report_model(engine, load_sample):
    """Baseline aptus_1 with its real findings, seven real faces as follow-ups, SIMULATED."""
    return sample_model(engine, load_sample, simulated=True)


@pytest.fixture(scope="session")
def small_model(engine, load_sample):
    """Baseline and two follow-ups, not simulated (fast renders)."""
    return sample_model(engine, load_sample, n_follow_ups=2, simulated=False)


@pytest.fixture(scope="session")
def pdftoppm():
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("poppler's pdftoppm is not installed (the structural PDF checks still run)")
    return exe
