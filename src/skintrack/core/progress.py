"""How long work says how far it is: one callback shape for every layer.

A :data:`Progress` is called as ``progress(done, total, text)``: ``done`` of ``total`` steps are
finished (``0 <= done <= total``) and ``text`` says in plain words what is being done now (may be
empty). The report's build and export call it; the command line draws it as a bar on stderr
(``cli/report.py``) and the app as a panel (``app/widgets/messages.py``). It is called on the thread
doing the work: a display that lives on another thread hands the call over itself.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]
