"""Storage: the SQLite database and the content-addressed photo store.

Dataclasses in, dataclasses out: nothing outside this package sees SQL or file layout. Depends on
:mod:`skintrack.core` only (for errors and region names); core never imports storage.
"""
