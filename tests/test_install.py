"""The kit installs into a user's project beside other releases of pytest and Flask, and its plugin works there.

Real installs from the package index into a fresh virtual environment: slow (about a
minute), so marked ``slow``; still part of ``make test``.
"""

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Inside pyproject.toml's ranges, and not the versions constraints.txt pins: the oldest Hypothesis the range admits.
OTHER_RELEASES = {"pytest": "8.3.5", "flask": "3.0.3", "werkzeug": "3.0.6", "hypothesis": "6.100.0"}


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """The kit's tracked files, copied: a build leaves nothing in the checkout, and no stale build reaches the wheel."""
    copy = tmp_path_factory.mktemp("kit") / "message-api-kit"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source, target = ROOT / name, copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_file():
            shutil.copy2(source, target)
    return copy


def readme_plugin_example() -> str:
    """The first Python example under the README's plugin section, as a user copies it."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## For Python test suites: the pytest plugin", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


#: pip installing into another environment (``--python``): a new environment needs no pip of its own
#: (ensurepip took 7 s of each test), and the installation is the same.
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python"]


def new_environment(where: Path) -> Path:
    """A new virtual environment without pip; its Python."""
    venv.create(where, with_pip=False)
    return where / "bin" / "python"


@pytest.mark.slow
def test_the_kit_installs_beside_other_pytest_and_flask_releases_and_the_readme_example_passes(tmp_path, kit):
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pinned = {name.lower(): version for name, version in (line.split("==") for line in lines if "==" in line)}
    assert all(pinned[name] != version for name, version in OTHER_RELEASES.items())
    python = new_environment(tmp_path / "env")
    wanted = [f"{name}=={version}" for name, version in OTHER_RELEASES.items()]
    install = subprocess.run(
        [*PIP, str(python), "install", "--quiet", str(kit), *wanted], capture_output=True, text=True, check=False
    )
    assert install.returncode == 0, install.stdout + install.stderr
    versions = subprocess.run(
        [
            python,
            "-c",
            "import flask, pytest, hypothesis as h; import importlib.metadata as m;"
            " print(m.version('flask'), pytest.__version__, h.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions == [OTHER_RELEASES["flask"], OTHER_RELEASES["pytest"], OTHER_RELEASES["hypothesis"]]
    (tmp_path / "test_readme.py").write_text(readme_plugin_example())
    (tmp_path / "test_contract.py").write_text(CONTRACT_TEST)
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme.py", "test_contract.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    expected = len(CONTRACT_CHECKS) + readme_plugin_example().count("\ndef test_")
    assert f"{expected} passed" in run.stdout


#: A contract run through the plugin, against its live fake.
CONTRACT_CHECKS = ("conformance", "invalid-bodies", "replies")
CONTRACT_TEST = (
    "from message_api_kit.contracts.testing import contract_tests\n\n"
    f"test_contract = contract_tests({list(CONTRACT_CHECKS)})\n"
)

#: A project of a user's own: packages named as the kit's folders, found through pytest's pythonpath.
PROJECT_FILES = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "schemas/__init__.py": 'USER = "the project\'s own schemas"\n',
    "contracts/__init__.py": 'TERMS = "the project\'s own contracts"\n',
    "mockserver/__init__.py": 'NAME = "the project\'s own mockserver"\n',
    "tests/test_own_packages.py": (
        "import contracts, mockserver, schemas\n\n"
        "def test_the_project_keeps_its_own_packages():\n"
        "    assert (schemas.USER, contracts.TERMS, mockserver.NAME) == (\n"
        '        "the project\'s own schemas", "the project\'s own contracts", "the project\'s own mockserver")\n'
    ),
    "tests/test_contract.py": CONTRACT_TEST,
}


@pytest.mark.slow
def test_a_project_with_its_own_schemas_and_contracts_installs_the_newest_releases_and_its_tests_pass(tmp_path, kit):
    # No constraints: every dependency at its newest release, as a project adding the kit today gets it.
    project = tmp_path / "project"
    for name, text in PROJECT_FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    (project / "tests" / "test_readme.py").write_text(readme_plugin_example())
    python = new_environment(tmp_path / "env")
    # The README's line, with -v so that the build's own warnings are shown (pip hides them otherwise).
    install = subprocess.run(
        [*PIP, str(python), "install", "-v", str(kit)], capture_output=True, text=True, check=False, cwd=project
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    built = install.stdout + install.stderr
    assert not re.search(r"(Setuptools|BuildBackend|Deprecation)\w*Warning", built), built[-3000:]
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    expected = 1 + len(CONTRACT_CHECKS) + readme_plugin_example().count("\ndef test_")
    assert f"{expected} passed" in run.stdout, run.stdout[-2000:]


@pytest.mark.slow
def test_an_editable_install_of_the_one_tree_warns_of_nothing_and_imports_from_the_checkout(tmp_path, kit):
    # make install's line (editable): a plain .pth entry, no meta-path finder for setuptools to warn about.
    python = new_environment(tmp_path / "env")
    install = subprocess.run(
        [*PIP, str(python), "install", "-v", "--no-deps", "--editable", str(kit)],
        capture_output=True,
        text=True,
        check=False,
    )
    built = install.stdout + install.stderr
    assert install.returncode == 0, built[-3000:]
    assert not re.search(r"(Setuptools|BuildBackend|Deprecation)\w*Warning", built), built[-3000:]
    where = subprocess.run(
        [python, "-c", "import message_api_kit.contracts as c; print(c.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # not this checkout, whose folder the current directory would put first
    ).stdout.strip()
    assert where == str(kit / "message_api_kit" / "contracts" / "__init__.py")
