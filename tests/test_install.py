"""The kit installs into a user's project beside other releases of pytest and Flask, and its plugin works there.

Real installs from the package index into a fresh virtual environment: slow (about a
minute), so marked ``slow``; still part of ``make test``.
"""

import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Inside pyproject.toml's ranges, and not the versions constraints.txt pins.
OTHER_RELEASES = {"pytest": "8.3.5", "flask": "3.0.3", "werkzeug": "3.0.6"}


def readme_plugin_example() -> str:
    """The first Python example under the README's plugin section, as a user copies it."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## For Python test suites: the pytest plugin", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.mark.slow
def test_the_kit_installs_beside_other_pytest_and_flask_releases_and_the_readme_example_passes(tmp_path):
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pinned = {name.lower(): version for name, version in (line.split("==") for line in lines if "==" in line)}
    assert all(pinned[name] != version for name, version in OTHER_RELEASES.items())
    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    wanted = [f"{name}=={version}" for name, version in OTHER_RELEASES.items()]
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(ROOT), *wanted], capture_output=True, text=True, check=False
    )
    assert install.returncode == 0, install.stdout + install.stderr
    versions = subprocess.run(
        [python, "-c", "import flask, pytest, importlib.metadata as m; print(m.version('flask'), pytest.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions == [OTHER_RELEASES["flask"], OTHER_RELEASES["pytest"]]
    (tmp_path / "test_readme.py").write_text(readme_plugin_example())
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
