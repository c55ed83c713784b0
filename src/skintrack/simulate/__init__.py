"""Simulation: known changes painted onto real face photos, for the tests, the benchmarks and the
demo, never for a person's own photos.

- :mod:`skintrack.simulate.phantom`: the redness phantom (haemoglobin-like redness added per
  region by a known Δa*, then changed light, pose, JPEG and sensor noise of a later photo).
- :mod:`skintrack.simulate.lesions`: open wounds, crusts, pustules and cold sores painted onto a
  face, sized in millimetres.

Simulate may import ``core``; of the product, only the demo (``cli/demo.py``) imports simulate
(``tests/test_architecture.py`` checks it; docs/adr/0007).
"""
