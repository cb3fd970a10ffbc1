"""Hardened XML parsing for untrusted metadata documents.

Sources are the open internet, so a document may try entity expansion (billion laughs),
external entities (XXE over file:// or http://), deep nesting or huge text. The parser
never loads a DTD, never resolves an entity, never touches the network, keeps libxml2's
default depth and text limits (``huge_tree=False``), and refuses any document whose
DOCTYPE has an internal subset (where entities are declared) before parsing starts.

A bare external DOCTYPE (``<!DOCTYPE metadata SYSTEM "http://.../fgdc-std-001-1998.dtd">``)
is accepted by default: USGS FGDC records carry one (7 of datagov-harvester's own WAF test
records do), the DTD is never fetched or read, and a document that still contains an
entity reference after parsing is refused. ``allow_external_doctype=False`` refuses those too.
"""

import re

from lxml import etree

MAX_XML_BYTES = 20 * 1024 * 1024  # larger than any real metadata record; bounds memory per record

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Every parse of publisher XML: no entity expansion, no network, no DTD, libxml2's depth and size limits.
HARDENED_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_PROLOG_ITEM = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_EXTERNAL_DOCTYPE = re.compile(
    r"""<!DOCTYPE\s+[\w:.-]+(\s+(SYSTEM\s+("[^"]*"|'[^']*')|PUBLIC\s+("[^"]*"|'[^']*')\s+("[^"]*"|'[^']*')))?\s*>""",
    re.IGNORECASE,
)
_ENTITY_REFERENCE = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[^\s&;<]*;")
_LINE_SUFFIX = re.compile(r",? line \d+, column \d+$")


class XmlRejected(ValueError):
    """The document cannot be read safely; the message is written for a publisher."""


class _RefuseExternal(etree.Resolver):
    """Answers every external load (DTD, entity, XInclude) with nothing: no file or URL is ever read."""

    def resolve(self, system_url, public_id, context):
        return self.resolve_string("", context)


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        **HARDENED_OPTIONS, dtd_validation=False, remove_blank_text=True, collect_ids=False
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


# lxml parsers are not thread-safe across threads, but Spark Python workers run one task per
# process, so one module-level parser is reused (building one per record costs measurable time).
_PARSER = _parser()


def _doctype(text: str) -> str | None:
    """None, "external" (a bare SYSTEM/PUBLIC reference) or "internal" (anything else) for the prolog."""
    position = 0
    while True:
        item = _PROLOG_ITEM.match(text, position)
        if not item:
            break
        position = item.end()
    rest = text[position : position + 2048].lstrip()
    if rest[:9].upper() != "<!DOCTYPE":
        return None
    return "external" if _EXTERNAL_DOCTYPE.match(rest) else "internal"


def _size_in_bytes(text: str) -> int:
    # Counting characters is enough unless the text could be over the cap once encoded.
    return len(text) if len(text) * 4 <= MAX_XML_BYTES else len(text.encode("utf-8", "surrogatepass"))


def parse_xml(document: str | bytes, allow_external_doctype: bool = True) -> etree._Element:
    """Parse an XML document safely and return its root element; raise XmlRejected with the reason."""
    if document is None:
        raise XmlRejected("XML document is empty")
    if isinstance(document, bytes):
        size = len(document)
        document = document.decode("utf-8", errors="replace")
    else:
        size = _size_in_bytes(document)
    if size > MAX_XML_BYTES:
        raise XmlRejected(f"XML document is {size} bytes; the limit is {MAX_XML_BYTES} bytes")
    # The text is already decoded, and lxml refuses str input that still carries an encoding declaration.
    text = XML_DECLARATION.sub("", document.lstrip("\ufeff"), count=1)
    if not text.strip():
        raise XmlRejected("XML document is empty")
    doctype = _doctype(text)
    if doctype == "internal" or (doctype and not allow_external_doctype):
        raise XmlRejected(
            "XML document declares a DOCTYPE with a DTD subset; DTDs and entities are not accepted"
        )
    if doctype and _ENTITY_REFERENCE.search(text):
        # With a DOCTYPE, libxml2 would look for an undeclared entity in the external DTD: refuse first.
        raise XmlRejected("XML document uses entity references; entities are not accepted")
    try:
        root = etree.fromstring(text, _PARSER)
    except etree.XMLSyntaxError as error:
        message = _LINE_SUFFIX.sub("", str(error.msg or error).strip())
        line = error.lineno if error.lineno else getattr(error, "position", (None,))[0]
        raise XmlRejected(f"XML is not well formed: {message} (line {line})") from None
    except ValueError as error:  # e.g. text lxml cannot accept (NUL characters)
        raise XmlRejected(f"XML is not well formed: {error}") from None
    if root is None:
        raise XmlRejected("XML document has no root element")
    if doctype and any(True for _ in root.iter(etree.Entity)):
        # An external DTD could have declared it; it was not read, so the text would be incomplete.
        raise XmlRejected("XML document uses entity references; entities are not accepted")
    return root
