# PyInstaller run-time hook, run before PyInstaller's own (ADR 0005): note whether the person set
# MPLCONFIGDIR, because PyInstaller's matplotlib hook then points it at a new temporary folder
# on every start (the font list would be rebuilt each time: seconds on a desktop with many fonts).
# skintrack_launcher.py puts it back.
import os

os.environ["_SKINTRACK_MPLCONFIGDIR"] = (
    "set:" + os.environ["MPLCONFIGDIR"] if "MPLCONFIGDIR" in os.environ else "unset"
)
