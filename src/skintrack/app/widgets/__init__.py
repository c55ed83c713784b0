"""Reusable widgets: picture views, the chart canvas, the message bar and the progress panel."""
