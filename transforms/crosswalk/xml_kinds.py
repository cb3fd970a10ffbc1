"""Which metadata standard an XML document follows, from its root element and namespace.

Also the small namespace-agnostic path helpers the crosswalks share: real documents bind the
same standard to several namespace URIs (gml vs gml/3.2, http vs https, mdb/1.0 vs mdb/2.0),
so the crosswalks match elements by local name along explicit paths.
"""

import functools
from collections.abc import Iterator

from lxml import etree

GMI_NAMESPACES = ("http://www.isotc211.org/2005/gmi",)
GMD_NAMESPACES = ("http://www.isotc211.org/2005/gmd",)
MDB_PREFIX = "standards.iso.org/iso/19115/-3/mdb/"  # 19115-3 mdb/1.0 and mdb/2.0, http or https
CSW_PREFIX = "http://www.opengis.net/cat/csw/"  # CSW 2.0.2 and 3.0

ISO19115_2 = "iso19115-2"
ISO19139 = "iso19139"
ISO19115_3 = "iso19115-3"
FGDC = "fgdc"
KINDS = (ISO19115_2, ISO19139, ISO19115_3, FGDC)


class UnknownRoot(ValueError):
    """The document's root is not one of the supported metadata standards."""


def detect_kind(root: etree._Element) -> str:
    """The standard of a parsed document: iso19115-2 | iso19139 | iso19115-3 | fgdc; else UnknownRoot."""
    qname = etree.QName(root)
    namespace, name = qname.namespace or "", qname.localname
    if name == "MI_Metadata" and namespace in GMI_NAMESPACES:
        return ISO19115_2
    if name == "MD_Metadata" and namespace in GMD_NAMESPACES:
        return ISO19139
    if name == "MD_Metadata" and MDB_PREFIX in namespace:
        return ISO19115_3
    if name == "metadata" and not namespace:
        return FGDC
    found = f"{{{namespace}}}{name}" if namespace else name
    raise UnknownRoot(f"unknown root element {found}; expected ISO 19115-2, ISO 19139, ISO 19115-3 or FGDC")


def record_root(root: etree._Element) -> etree._Element:
    """The metadata record of a document: the document itself, or the one record a CSW
    GetRecordByIdResponse wraps (a WAF may hold saved CSW answers); else UnknownRoot."""
    qname = etree.QName(root)
    if qname.localname != "GetRecordByIdResponse" or not (qname.namespace or "").startswith(CSW_PREFIX):
        return root
    records = list(root.iterchildren(etree.Element))
    if len(records) != 1:
        raise UnknownRoot(f"CSW GetRecordByIdResponse holds {len(records)} records; expected exactly one")
    return records[0]


def local_name(element) -> str:
    """The local part of an element's tag ('' for comments and processing instructions)."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _tag(name: str):
    # lxml matches "{*}name" in C, far faster than comparing tags in Python.
    return etree.Element if name == "*" else f"{{*}}{name}"


def children(element, name: str) -> Iterator:
    """Child elements with the given local name in any namespace ('*' for any element)."""
    return element.iterchildren(_tag(name))


@functools.lru_cache(maxsize=1024)
def _path_tags(path: str) -> tuple:
    # The crosswalks walk a few dozen fixed paths about 60 times per record: each is split once.
    return tuple(_tag(step) for step in path.split("/"))


def walk(element, path: str) -> list:
    """Elements reached from `element` along a '/'-separated path of local names."""
    tags = _path_tags(path)
    if element is None:
        return []
    current = list(element.iterchildren(tags[0]))
    for tag in tags[1:]:
        if not current:
            break
        current = [child for node in current for child in node.iterchildren(tag)]
    return current


def first(element, path: str):
    """The first element along `path`, or None."""
    found = walk(element, path)
    return found[0] if found else None


def descendants(element, name: str) -> list:
    """All descendant elements with the given local name, in document order (the element included)."""
    if element is None:
        return []
    return list(element.iter(f"{{*}}{name}"))


def value(element) -> str | None:
    """The text of a property element: its CharacterString/Anchor/etc. child, or its own text."""
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str):
            text = child.text
            if text and text.strip():
                return text.strip()
            if child.tag.rpartition("}")[2] in ("CharacterString", "Anchor", "LocalisedCharacterString"):
                return None
    text = element.text
    return text.strip() if text and text.strip() else None


def values(element, path: str) -> list[str]:
    """The non-empty values of every element along `path`."""
    return [text for node in walk(element, path) if (text := value(node))]


def first_value(element, path: str) -> str | None:
    """The first non-empty value along `path`, or None."""
    for node in walk(element, path):
        text = value(node)
        if text:
            return text
    return None


def code(element) -> str | None:
    """A codelist value: the codeListValue attribute of the first child, else its text."""
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str):
            found = child.get("codeListValue") or (child.text or "").strip()
            return found or None
    return None


def href(element) -> str | None:
    """The xlink:href of an element, whatever the xlink namespace URI."""
    for key, attribute in element.attrib.items():
        if key.rpartition("}")[2] == "href" and attribute.strip():
            return attribute.strip()
    return None
