"""Dependencies flow one way: each rule below is read from the imports, so it stays true.

Routes call services, services call models and the database; a lower domain never reaches up
into a higher one. Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "engagement"
DOMAINS = (
    "abuse",
    "apidocs",
    "articles",
    "cms",
    "comments",
    "embed",
    "feeds",
    "identity",
    "moderation",
    "notifications",
    "pageviews",
    "portability",
)


def imports_of(source: Path) -> set[str]:
    """Every module ``source`` imports, as dotted names (``engagement.comments.service``)."""
    tree = ast.parse(source.read_text(), filename=str(source))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(where: str) -> list[Path]:
    """The modules of a package (``comments``) or of a single module (``cli.py``)."""
    path = PACKAGE / where
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def reaches(where: str, forbidden: tuple[str, ...]) -> list[str]:
    """``module -> import`` for each import from ``where`` into one of ``forbidden``."""
    return [
        f"{source.relative_to(PACKAGE)} -> {name}"
        for source in modules(where)
        for name in sorted(imports_of(source))
        if any(name == banned or name.startswith(f"{banned}.") for banned in forbidden)
    ]


def domain(*names: str) -> tuple[str, ...]:
    return tuple(f"engagement.{name}" for name in names)


RULES = [
    ("articles", domain("moderation", "comments")),
    ("comments", domain("moderation")),
    ("pageviews", domain("comments")),
    ("abuse", domain("moderation")),
    ("models", (*domain(*DOMAINS), "flask.request")),
    ("db", (*domain(*DOMAINS), "flask.request")),
]


@pytest.mark.parametrize(
    ("where", "forbidden"), RULES, ids=[f"{where} never imports" for where, _ in RULES]
)
def test_lower_layers_never_import_higher_ones(where: str, forbidden: tuple[str, ...]) -> None:
    assert reaches(where, forbidden) == []


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    source = tmp_path / "late.py"
    source.write_text("def later():\n    from engagement.moderation import service\n")
    assert "engagement.moderation.service" in imports_of(source)


ROUTE_MODULES = ("api", "pages", "routes")


@pytest.mark.parametrize("package", ["articles", "comments", "pageviews", "abuse", "cms"])
def test_no_service_imports_another_packages_routes(package: str) -> None:
    """Only ``create_app`` (and a package's own routes) import a route module."""
    crossing = [
        f"{source.relative_to(PACKAGE)} -> {name}"
        for source in modules(package)
        for name in sorted(imports_of(source))
        if name.startswith("engagement.")
        and name.split(".")[-1] in ROUTE_MODULES
        and name.split(".")[1] != package
    ]
    assert crossing == []
