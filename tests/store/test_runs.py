"""Run records: parents, lookup by id or name, unique names."""

from __future__ import annotations

import pytest

from store import NotFoundError, Store
from store.runs import get_run, parent_runs, start_run, unique_name


def test_parents_and_lookup_by_id_or_name(store: Store) -> None:
    parent = start_run(store, "index", "base", {})
    child = start_run(store, "augment", "xqg", {}, parents=[("index", parent.id)])
    assert [(role, run.name) for role, run in parent_runs(store, child.id)] == [("index", "base")]
    assert get_run(store, str(child.id)).name == "xqg"
    with pytest.raises(NotFoundError, match=r"run 'xqg' is of kind augment; expected kind search"):
        get_run(store, "xqg", kind="search")
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        get_run(store, "nope")


def test_unique_names_count_up(store: Store) -> None:
    assert unique_name(store, "search") == "search"
    start_run(store, "search", "search", {})
    start_run(store, "search", "search-2", {})
    assert unique_name(store, "search") == "search-3"
