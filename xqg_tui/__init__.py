"""Presentation for xqg: the ``xqg`` command line and the Textual app (``xqg tui``)."""
