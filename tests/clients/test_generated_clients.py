"""Client generators as real users run them, on each OpenAPI document.

Python: openapi-python-client generates a package with no warning; it imports, and
creates a message and a reply against the live fake. TypeScript: openapi-typescript's
types let ``usage.ts`` type-check under ``tsc --strict`` (the npm tools come from
``package-lock.json``; ``make test`` installs them).
"""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from message_api_kit import schemas
from message_api_kit.mockserver import LiveServer, create_app

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
NODE_BIN = HERE / "node_modules" / ".bin"
DOCUMENTS = {"vendor": schemas.vendor_document, "fake": schemas.fake_document}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live():
    with LiveServer(create_app()) as server:
        yield server


def generate_python(name, tmp_path):
    document = tmp_path / f"{name}.json"
    document.write_text(json.dumps(DOCUMENTS[name]()))
    package = f"{name}_client"
    command = [BIN / "openapi-python-client", "generate", "--path", document, "--output-path", tmp_path / package]
    result = subprocess.run(
        [*command, "--meta", "none"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},  # it formats with our ruff
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_generated_python_client_creates_a_message_and_a_reply(name, tmp_path, live):
    client_package = generate_python(name, tmp_path)
    create = importlib.import_module(f"{client_package.__name__}.api.messages.create_message")
    models = importlib.import_module(f"{client_package.__name__}.models")
    client = client_package.Client(base_url=live.url)
    root = create.sync(conversation=3, client=client, body=models.CreateMessageRequest(message="from a client"))
    assert isinstance(root, models.Message)
    assert (root.message, root.conversation_id, root.is_reply, root.parent) == ("from a client", 3, False, None)
    reply = create.sync(
        conversation=3, client=client, body=models.CreateMessageRequest(message="a reply", parent_id=root.id)
    )
    assert reply.is_reply is True
    assert isinstance(reply.parent, models.ParentSummary) and reply.parent.id == root.id
    answer = create.sync_detailed(
        conversation=3, client=client, body=models.CreateMessageRequest(message="x", parent_id=10**9)
    )
    assert answer.status_code == 404


def test_the_fake_client_drives_the_admin_api(tmp_path, live):
    package = generate_python("fake", tmp_path).__name__
    fake = importlib.import_module(f"{package}.api.fake")
    models = importlib.import_module(f"{package}.models")
    client = importlib.import_module(package).Client(base_url=live.url)
    reset = importlib.import_module(f"{fake.__name__}.reset_fake").sync_detailed(client=client, x_mock_admin="1")
    assert reset.status_code == 204
    clock = importlib.import_module(f"{fake.__name__}.set_clock").sync(
        client=client, body=models.ClockCommand(freeze=1_000_000)
    )
    assert clock.now == 1_000_000 and clock.frozen is True
    released = importlib.import_module(f"{fake.__name__}.set_clock").sync(
        client=client, body=models.ClockCommand(real=True)
    )
    assert released.frozen is False


def test_the_vendor_client_carries_nothing_of_the_fake(tmp_path):
    package = Path(generate_python("vendor", tmp_path).__file__).parent
    operations = {path.stem for path in (package / "api").rglob("*.py")} - {"__init__"}
    assert operations == {"create_message"}
    models = {path.stem for path in (package / "models").glob("*.py")} - {"__init__"}
    assert not {name for name in models if re.search(r"fault|seed|journal|clock|problem", name)}, models
    assert "__mock__" not in "".join(path.read_text() for path in package.rglob("*.py"))


def test_typescript_types_are_useful_and_the_usage_file_type_checks(tmp_path):
    assert (NODE_BIN / "tsc").exists(), "npm tools missing: run `make test` (it runs `npm ci` in tests/clients)"
    generated = HERE / "generated"
    generated.mkdir(exist_ok=True)
    for name, document in DOCUMENTS.items():
        source = tmp_path / f"{name}.json"
        source.write_text(json.dumps(document()))
        subprocess.run(
            [NODE_BIN / "openapi-typescript", source, "-o", generated / f"{name}.ts"], check=True, capture_output=True
        )
        types = (generated / f"{name}.ts").read_text()
        assert "Record<string, never>;" not in types.split("export type $defs")[0].replace(
            "export type webhooks = Record<string, never>;", ""
        )
        assert "| unknown" not in types and "unknown |" not in types
        assert re.search(r"parent: null \| components\[\"schemas\"\]\[\"parent-summary\"\] \| number;", types)
    options = ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler"]
    result = subprocess.run(
        [NODE_BIN / "tsc", *options, HERE / "usage.ts"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
