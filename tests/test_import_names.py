"""The kit owns one import name: every module reaches its siblings through ``message_api_kit``."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("schemas", "mockserver", "contracts")
SOURCES = sorted(path for folder in ("message_api_kit", "bench", "tests") for path in (ROOT / folder).rglob("*.py"))


def _bare_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [name for name in names if name.split(".")[0] in FOLDERS]
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_imports_a_folder_by_its_bare_name(path):
    # A bare `import schemas` would load a second copy of the module (or a project's own `schemas`).
    assert _bare_imports(path) == []


def test_one_package_tree_with_no_symbolic_link():
    # A Windows checkout makes a link a text file, and tools would see two trees.
    for folder in FOLDERS:
        assert (ROOT / "message_api_kit" / folder / "__init__.py").is_file()
        assert not (ROOT / folder).exists()
    links = [path for path in ROOT.rglob("*") if path.is_symlink() and "node_modules" not in path.parts]
    assert [path for path in links if ".venv" not in path.parts] == []
