"""One check for every page the project writes: does markup a publisher wrote run in it?

Hostile test values carry markers: every injected element or attribute break-out adds the attribute
``data-injected``, and every injected script says ``INJ`` (``onerror=alert('INJ')``,
``javascript:alert('INJ')``). A page is parsed as a browser would parse it (lxml's HTML parser),
so a marker escaped as text (``&lt;img … data-injected&gt;``) is no element and passes, while one
that became an element or an attribute (a live ``<img onerror>``, a quote that broke out of an
attribute) is found, wherever on the page it is.
"""

from pathlib import Path

from lxml import html

MARKER_ATTRIBUTE = "data-injected"
SCRIPT_TOKEN = "INJ"
# Hostile values for tests: an element, a script, and a break-out of a double- and a single-quoted attribute.
ELEMENT = f"<img src=x onerror=alert('{SCRIPT_TOKEN}') {MARKER_ATTRIBUTE}>"
SCRIPT = f"<script {MARKER_ATTRIBUTE}>alert('{SCRIPT_TOKEN}')</script>"
DOUBLE_QUOTE_BREAKOUT = f'x" {MARKER_ATTRIBUTE}="1" onmouseover="alert(\'{SCRIPT_TOKEN}\')'
SINGLE_QUOTE_BREAKOUT = f"x' {MARKER_ATTRIBUTE}='1' onfocus='alert(\"{SCRIPT_TOKEN}\")"
JAVASCRIPT_URL = f"javascript:alert('{SCRIPT_TOKEN}')"
LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href")


def live_markup(page: str) -> list[str]:
    """The injected elements and attributes that are live in ``page``: empty when every marker is text."""
    document = html.document_fromstring(page.encode("utf-8"), parser=html.HTMLParser(encoding="utf-8"))
    found = []
    for element in document.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        for name, value in element.attrib.items():
            name = name.lower()
            handler = name.startswith("on") and SCRIPT_TOKEN in value
            link = name in LINK_ATTRIBUTES and value.strip().lower().startswith("javascript:")
            if name == MARKER_ATTRIBUTE or handler or (link and SCRIPT_TOKEN in value):
                found.append(f"<{element.tag} {name}={value!r}>")
    return found


def live_markup_in_folder(folder: Path) -> dict[str, list[str]]:
    """Every .html file below ``folder`` whose page runs injected markup, with what runs."""
    found = {}
    for path in sorted(folder.rglob("*.html")):
        live = live_markup(path.read_text(encoding="utf-8", errors="replace"))
        if live:
            found[str(path.relative_to(folder))] = live
    return found
