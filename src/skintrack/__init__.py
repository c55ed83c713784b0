"""skintrack: offline photo checks and redness tracking for safe at-home microneedling."""

__version__ = "0.1.0"
