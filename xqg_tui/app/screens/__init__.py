"""Screens of the app, one per domain, and the dialogs they open."""
