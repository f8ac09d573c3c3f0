"""The kit owns one import name: every module reaches its siblings through ``message_api_kit``."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("schemas", "mockserver", "contracts")
SOURCES = sorted(
    path for folder in (*FOLDERS, "message_api_kit", "bench", "tests") for path in (ROOT / folder).rglob("*.py")
)


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


def test_the_package_links_each_folder():
    for folder in FOLDERS:
        assert (ROOT / "message_api_kit" / folder).resolve() == ROOT / folder
