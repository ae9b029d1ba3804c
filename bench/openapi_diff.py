#!/usr/bin/env python3
"""What changed in the OpenAPI document between an earlier revision and this checkout.

    .venv/bin/python bench/openapi_diff.py 18ec939        # or any git revision

Builds both documents (the revision's in a temporary git worktree, with this venv) and prints,
per operation, the statuses, parameters and body that were added or removed, then the schemas
and their properties that were added, removed or changed. Descriptions are compared too, as
one line per operation whose summary or description changed. Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = """
import json, sys, tempfile
from engagement import create_app
url = "sqlite:///" + tempfile.mkdtemp() + "/doc.sqlite3"
app = create_app(environ={"ENGAGEMENT_DATABASE_URL": url, "ENGAGEMENT_SECRET_KEY": "x" * 32})
json.dump(app.test_client().get("/api/openapi.json").json, sys.stdout)
"""


def document(code: Path) -> dict[str, Any]:
    """The document the service in ``code`` serves."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code), "ENGAGEMENT_LOG_LEVEL": "error"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout))


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, ops in doc.get("paths", {}).items()
        for method, op in ops.items()
    }


def parameters(op: dict[str, Any]) -> set[str]:
    return {f"{p['in']}:{p['name']}" for p in op.get("parameters", [])}


def body(op: dict[str, Any]) -> str:
    content = op.get("requestBody", {}).get("content", {})
    return json.dumps(content.get("application/json", {}).get("schema"))


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per difference."""
    lines = []
    old, new = operations(before), operations(after)
    lines += [f"- operation {name}" for name in sorted(old.keys() - new.keys())]
    lines += [f"+ operation {name}" for name in sorted(new.keys() - old.keys())]
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        for status in sorted(a["responses"].keys() - b["responses"].keys()):
            lines.append(f"  {name}: - status {status}")
        for status in sorted(b["responses"].keys() - a["responses"].keys()):
            lines.append(f"  {name}: + status {status}")
        for parameter in sorted(parameters(a) - parameters(b)):
            lines.append(f"  {name}: - parameter {parameter}")
        for parameter in sorted(parameters(b) - parameters(a)):
            lines.append(f"  {name}: + parameter {parameter}")
        if body(a) != body(b):
            lines.append(f"  {name}: body {body(a)} -> {body(b)}")
        if (a.get("summary"), a.get("description")) != (b.get("summary"), b.get("description")):
            lines.append(f"  {name}: words changed")
    schemas_a = before.get("components", {}).get("schemas", {})
    schemas_b = after.get("components", {}).get("schemas", {})
    lines += [f"- schema {name}" for name in sorted(schemas_a.keys() - schemas_b.keys())]
    lines += [f"+ schema {name}" for name in sorted(schemas_b.keys() - schemas_a.keys())]
    for name in sorted(schemas_a.keys() & schemas_b.keys()):
        props_a = schemas_a[name].get("properties", {})
        props_b = schemas_b[name].get("properties", {})
        for prop in sorted(props_a.keys() - props_b.keys()):
            lines.append(f"  schema {name}: - {prop}")
        for prop in sorted(props_b.keys() - props_a.keys()):
            lines.append(f"  schema {name}: + {prop}")
        for prop in sorted(props_a.keys() & props_b.keys()):
            if props_a[prop] != props_b[prop]:
                lines.append(
                    f"  schema {name}.{prop}: {json.dumps(props_a[prop])} -> "
                    f"{json.dumps(props_b[prop])}"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the earlier git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch) / "earlier"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(earlier), args.revision],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            before = document(earlier)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(earlier)], cwd=ROOT, check=True
            )
    after = document(ROOT)
    for line in compare(before, after):
        print(line)


if __name__ == "__main__":
    main()
