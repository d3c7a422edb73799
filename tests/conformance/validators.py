"""The third-party validators the conformance tests run, each as its own ecosystem ships it.

- ``@asyncapi/parser`` and the CloudEvents JavaScript SDK through node (``node/validate.js``;
  ``scripts/test.sh`` installs them from the committed lock file with ``npm ci``);
- ``check-jsonschema`` (PyPI), as its command line;
- ``openapi-spec-validator`` and the CloudEvents Python SDK (PyPI), as libraries, in the tests.

Nothing here judges: each helper returns what the tool said, and the tests decide.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).resolve().parent / "node"
SCHEMAS = REPO / "schemas"


def node(command: str, data_file: Path) -> dict[str, Any]:
    """Run ``node validate.js <command> <data_file>`` and return its JSON answer."""
    exe = shutil.which("node")
    assert exe, "node is not installed (Node.js 20 or later is needed for the conformance tests)"
    assert (NODE_DIR / "node_modules").is_dir(), (
        f"the JavaScript validators are not installed: run scripts/test.sh, or npm ci in {NODE_DIR}"
    )
    run = subprocess.run(
        [exe, str(NODE_DIR / "validate.js"), command, str(data_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=NODE_DIR,
    )
    assert run.returncode == 0, f"validate.js {command} failed:\n{run.stderr[-3000:]}"
    return json.loads(run.stdout)


def asyncapi_diagnostics(document: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """What ``@asyncapi/parser`` says about an AsyncAPI document."""
    path = tmp / "asyncapi.json"
    path.write_text(json.dumps(document))
    return node("asyncapi", path)


def errors_of(answer: dict[str, Any]) -> list[str]:
    """The error diagnostics of a parser answer, one line each."""
    return [f"{d['code']} at {d['path']}: {d['message']}" for d in answer["diagnostics"] if d["severity"] == "Error"]


def js_cloudevents(records: Sequence[tuple[bytes | None, bytes, Iterable[tuple[str, bytes]]]], tmp: Path) -> list:
    """Each Kafka record ``(key, value, headers)`` read by the CloudEvents JS SDK and validated strictly."""
    path = tmp / "records.json"
    path.write_text(
        json.dumps(
            [
                {
                    "key": key.decode() if key else None,
                    "value": value.decode(),
                    "headers": {name: raw.decode() for name, raw in headers},
                }
                for key, value, headers in records
            ]
        )
    )
    return node("cloudevents", path)["results"]


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``check-jsonschema`` command line (installed in this venv) with ``args``."""
    exe = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, check=False)


def committed_by_id() -> dict[str, Path]:
    """Every committed schema file, by its ``$id`` (an integrator's view: no project code involved)."""
    return {json.loads(p.read_text())["$id"]: p for p in sorted(SCHEMAS.glob("*/wja.*.json"))}


def integrators_example() -> dict[str, Any]:
    """Run the Python example of docs/integrators.md and return its names (``validate_record`` ...)."""
    text = (REPO / "docs" / "integrators.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    code = text[start : text.index("```", start)]
    names: dict[str, Any] = {"__name__": "integrators_example"}
    exec(compile(code, "docs/integrators.md", "exec"), names)  # our own committed doc
    return names
