"""One module per ``xqg`` command: ``register`` adds its parser, ``cmd_*`` runs it."""

from xqg_tui.commands import augment, demo, evaluate, generate, index, ingest, runs, search

# In the order ``xqg --help`` lists them.
MODULES = (ingest, index, generate, augment, search, evaluate, runs, demo)
