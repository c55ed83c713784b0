"""Report export (HTML and PDF) and the charts shared with the app."""
