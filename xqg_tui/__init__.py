"""Presentation for xqg: the ``xqg`` command line (and, next, the Textual app)."""
