"""Dependencies flow one way: each rule below is read from the imports themselves, so it stays
true. A package lower in the stack never imports one above it, and only ``create_app`` imports
a domain's route module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "engagement"

# (package, a package it must never import): the lower layer never depends on the upper one.
NEVER = [
    ("articles", "moderation"),
    ("articles", "comments"),
    ("comments", "moderation"),
    ("pageviews", "comments"),
    ("abuse", "moderation"),
]
ROUTE_MODULES = ("api", "pages", "routes")


def imported_by(path: Path) -> set[str]:
    """The dotted names of the ``engagement`` modules a source file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("engagement.")}


def modules_of(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize(("lower", "upper"), NEVER, ids=[f"{a}-{b}" for a, b in NEVER])
def test_a_lower_package_never_imports_an_upper_one(lower: str, upper: str) -> None:
    crossing = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules_of(lower)
        for name in imported_by(path)
        if name == f"engagement.{upper}" or name.startswith(f"engagement.{upper}.")
    }
    assert not crossing


@pytest.mark.parametrize("package", ["articles", "comments", "pageviews", "abuse", "cms"])
def test_no_module_imports_another_packages_routes(package: str) -> None:
    crossing = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules_of(package)
        for name in imported_by(path)
        if name.split(".")[-1] in ROUTE_MODULES and name.split(".")[1] != package
    }
    assert not crossing
