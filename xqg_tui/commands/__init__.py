"""One module per ``xqg`` command: ``register`` adds its parser, ``cmd_*`` runs it."""

from xqg_tui.commands import (
    augment,
    check,
    compare,
    demo,
    evaluate,
    export_run,
    gc,
    generate,
    import_run,
    index,
    ingest,
    models,
    robustness,
    runs,
    search,
    sweep,
    train,
    tui,
)

# In the order ``xqg --help`` lists them.
MODULES = (
    ingest,
    index,
    generate,
    augment,
    search,
    evaluate,
    compare,
    sweep,
    import_run,
    export_run,
    runs,
    gc,
    check,
    robustness,
    tui,
    demo,
    models,
    train,
)
