import gc
import threading

import pytest

from message_api_kit.mockserver import MockConfig, Seed, Store, store_of
from message_api_kit.mockserver.store import Misplaced, NotStored


def test_reset_restores_the_configured_seed():
    store = Store(MockConfig(seed=Seed.demo()))
    seeded = len(store)
    store.create_message(1, "extra")
    store.reset()
    assert len(store) == seeded
    assert store.create_message(1, "again").id == seeded + 1


def test_without_users_the_doc_example_user_acts():
    assert Store(MockConfig()).user(1)["name"] == "John Doe"


def test_parent_rules():
    store = Store(MockConfig())
    root = store.create_message(1, "root")
    assert store.create_message(1, "re", root.id).parent_id == root.id
    with pytest.raises(NotStored):
        store.create_message(1, "re", 999)
    with pytest.raises(Misplaced):
        store.create_message(2, "re", root.id)


def test_pages_are_slices_in_order():
    store = Store(MockConfig())
    for n in range(10):
        store.create_message(1 + n % 2, str(n))
    items, total = store.page(1, 2, 2)
    assert total == 5 and [m.text for m in items] == ["4", "6"]


def test_concurrent_creation_loses_nothing():
    store = Store(MockConfig())
    root = store.create_message(1, "root")
    ids: list[int] = []

    def worker(n: int) -> None:
        for i in range(200):
            message = store.create_message(1 + n % 3, f"{n}-{i}") if i % 2 else store.create_message(1, "re", root.id)
            ids.append(message.id)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == len(set(ids)) == 1600
    assert len(store) == 1601


def _tracked_after_collection() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_stored_messages_and_journal_entries_are_invisible_to_the_cyclic_gc(app, post):
    # What the fake keeps per request must not be tracked by the cyclic GC: tracked
    # objects make every full collection walk the whole store, and make full collections
    # frequent while the store is small (bench/store_growth.py).
    post({"message": "warm up"})
    parent = post({"message": "parent"}).get_json()["id"]
    before = _tracked_after_collection()
    for n in range(500):
        assert post({"message": f"m{n}", "parent_id": parent if n % 2 else None}).status_code == 201
    store = store_of(app)
    grown = _tracked_after_collection() - before
    assert len(store) == 502 and len(store.journal.entries()) == 502
    assert grown < 50, f"{grown} more objects tracked by the GC after 500 creations"


def test_the_demo_seed_is_valid():
    # Seed.from_json trusts its caller to have validated; the shipped demo is checked here.
    import json
    from importlib.resources import files

    from message_api_kit.mockserver.validation import validate

    validate("seed", json.loads((files("message_api_kit.mockserver") / "demo-seed.json").read_text("utf-8")))


def test_the_store_and_what_it_imports_know_nothing_of_http():
    import ast
    from importlib.util import find_spec
    from pathlib import Path

    seen, todo, web = (
        set(),
        ["message_api_kit.mockserver.store"],
        ("flask", "werkzeug", "waitress", "message_api_kit.mockserver.errors"),
    )
    while todo:
        name = todo.pop()
        seen.add(name)
        tree = ast.parse(Path(find_spec(name).origin).read_text("utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m for m in imported if m.startswith(web)}, f"{name} imports {imported}"
        todo += [m for m in imported if m.startswith("message_api_kit.mockserver.") and m not in seen]
    assert {
        "message_api_kit.mockserver.store",
        "message_api_kit.mockserver.seed",
        "message_api_kit.mockserver.faults",
        "message_api_kit.mockserver.clock",
    } <= seen
