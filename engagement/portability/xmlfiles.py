"""Reading large XML exports safely: element by element, DTDs and entities refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from engagement.portability.records import MalformedSource


def children_of_root(path: Path, *, depth: int = 1) -> Iterator[tuple[Element, Element]]:
    """Each element ``depth`` levels below the root, complete, with the root; memory is freed
    behind it. A document type declaration (and so any entity) is refused: exports have none,
    and entities are how XML files attack their readers."""
    level = -1
    root: Element | None = None
    parents: list[Element] = []
    try:
        for event, element in iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                level += 1
                if root is None:
                    root = element
                parents.append(element)
                continue
            parents.pop()
            if level == depth:
                assert root is not None
                yield element, root
                if parents:
                    parents[-1].remove(element)
            level -= 1
    except (ParseError, DefusedXmlException) as exc:
        raise MalformedSource(f"not well-formed XML: {exc}") from None
    except OSError as exc:
        raise MalformedSource(f"cannot read it: {exc}") from None
    if root is None:
        raise MalformedSource("empty file")


def local_name(element: Element) -> str:
    """The element's name without its namespace."""
    return element.tag.rsplit("}", 1)[-1]


def namespace(element: Element) -> str:
    """The element's namespace URI, or ''."""
    return element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
