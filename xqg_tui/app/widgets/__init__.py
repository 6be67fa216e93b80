"""Widgets of the app, one domain per module."""
