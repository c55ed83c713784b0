"""The window's pages: each a widget given its model and services in its constructor."""
