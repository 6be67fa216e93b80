"""The xqg terminal app (Textual): passages, search, compare and runs screens.

Imported only by ``xqg tui``, so that the rest of the command line never loads Textual.
"""
