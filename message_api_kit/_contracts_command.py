"""The ``contracts`` command's entry point: where Hypothesis keeps its files, then the CLI.

Hypothesis writes a ``.hypothesis/`` folder into the current directory the first time it
builds a text strategy (its Unicode tables), which the CLI does on import. A command run in
someone's project must leave nothing there, so unless ``HYPOTHESIS_STORAGE_DIRECTORY`` says
otherwise it goes to the user's cache, before anything imports Hypothesis.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["main"]


def storage_directory() -> Path:
    """Where the command's Hypothesis files go: ``$XDG_CACHE_HOME`` (or ``~/.cache``)/message-api-kit/hypothesis."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "message-api-kit" / "hypothesis"


def main(argv: list[str] | None = None) -> int:
    """Run ``contracts`` with Hypothesis' files out of the current directory."""
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(storage_directory()))
    from message_api_kit.contracts.cli import main as cli_main

    return cli_main(argv)
