"""Recognising a licence in the free-text constraints of an ISO or FGDC record.

DCAT-US ``license`` is a URI. Publishers write licences in use limitations and other constraints
as a URL (``https://edg.epa.gov/EPA_Data_License.html``), an SPDX id (``CC-BY-4.0``), or a phrase
(``Creative Commons Attribution 4.0``, ``public domain``). The first licence URL in the texts wins;
without one, the first id or name names the licence's canonical URL. Nothing is guessed: a
Creative Commons phrase without a version, or a licence named only in words we do not know, is
left for the rights text. "Public domain" is a statement, not a licence's name: it gives the Public
Domain Mark only when no constraint of the record contradicts it (a use restriction, a copyright,
a non-public or restricted access level): "in the public domain" beside "for educational
noncommercial use only" names no licence.
"""

import re
from urllib.parse import urlsplit

from transforms.crosswalk.common import urls_in

# Hosts that publish only licences, and path words that name one ("/licenses/", "EPA_Data_License",
# "open-government-licence", "/publicdomain/", "government-works").
_LICENCE_HOSTS = ("creativecommons.org", "opendatacommons.org", "spdx.org")
_LICENCE_PATH = re.compile(r"licen[cs]e|/publicdomain/|government-works", re.IGNORECASE)
_CC = "https://creativecommons.org/"
PUBLIC_DOMAIN_MARK = f"{_CC}publicdomain/mark/1.0/"
CC0 = f"{_CC}publicdomain/zero/1.0/"
SPDX = {  # SPDX ids of data licences that are not Creative Commons (those follow the CC pattern below)
    "pddl-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-by-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ogl-uk-3.0": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "ogl-uk-2.0": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
}
_SPDX_ID = re.compile(
    r"(?<![\w.-])(" + "|".join(re.escape(key) for key in SPDX) + r")(?![\w-])", re.IGNORECASE
)
_CC_ZERO = re.compile(r"\bCC[\s-]?(?:0|zero)\b|\bcreative\s+commons\s+zero\b", re.IGNORECASE)
# "CC BY-SA 4.0", "CC-BY-4.0" (SPDX), "Creative Commons Attribution-ShareAlike 4.0 International".
_CC_BY = re.compile(
    r"\b(?:CC|creative\s+commons)[\s-]+(?:BY|attribution)((?:[\s-]+(?:NC|ND|SA|non-?commercial|no-?deriv\w*"
    r"|share-?alike))*)[\s-]+(\d\.\d)\b",
    re.IGNORECASE,
)
_CC_CLAUSES = (
    ("nc", re.compile(r"\bnc\b|non-?commercial", re.I)),
    ("nd", re.compile(r"\bnd\b|no-?deriv", re.I)),
    ("sa", re.compile(r"\bsa\b|share-?alike", re.I)),
)
# Words at least one of which any id or phrase below contains; a cheap test before the patterns.
_HINTS = ("cc-", "cc ", "cc0", "creative", "domain", "odbl", "pddl", "odc-by", "ogl-uk")
_PUBLIC_DOMAIN = re.compile(r"\bpublic[\s-]+domain\b", re.IGNORECASE)
_NEGATED = re.compile(r"\bnot\s+(?:in\s+)?(?:the\s+)?$", re.IGNORECASE)
# Words of a constraint that limits use, which no public-domain work has.
_LIMITS_USE = re.compile(
    r"non-?\s?commercial|\bcommercial\s+(?:use|purposes?)\s+(?:is\s+|are\s+)?(?:not|prohibited)|\buse\s+only\b"
    r"|\bonly\s+for\b|\bcopyright|\u00a9|all\s+rights\s+reserved|\bproprietary\b|\bwritten\s+permission\b"
    r"|\bmay\s+not\s+be\s+(?:re)?(?:distributed|sold|copied)|\bnot\s+(?:be\s+)?(?:re)?distribut|\brestricted\b",
    re.IGNORECASE,
)
# "not subject to copyright", "without restriction", "not restricted": words that deny a limit.
_DENIED_LIMIT = re.compile(
    r"\b(?:not|no|free\s+(?:of|from)|without)\s+(?:\w+\s+){0,3}?(?:copyright\w*|restrict\w*)", re.IGNORECASE
)


def _limits_use(text: str) -> bool:
    """True when a constraint text restricts use (a denied restriction is none)."""
    return bool(_LIMITS_USE.search(_DENIED_LIMIT.sub(" ", text)))


def is_licence_url(url: str) -> bool:
    """True when a URL names a licence: a licence host, or a path that says licence/license/public domain."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc.lower().rpartition("@")[2].split(":")[0]
    if any(host == known or host.endswith("." + known) for known in _LICENCE_HOSTS):
        return parts.path.strip("/") != ""
    return bool(_LICENCE_PATH.search(parts.path))


def _creative_commons(text: str) -> str | None:
    match = _CC_BY.search(text)
    if match:
        clauses = [code for code, pattern in _CC_CLAUSES if pattern.search(match.group(1))]
        return f"{_CC}licenses/{'-'.join(['by', *clauses])}/{match.group(2)}/"
    return CC0 if _CC_ZERO.search(text) else None


def _named(text: str, public_domain: bool) -> str | None:
    """The canonical URL of a licence named by SPDX id or name in one text, else None; 'public domain'
    counts only when `public_domain` (nothing in the record contradicts it)."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _HINTS):  # the common case: no licence named in words
        return None
    spdx = _SPDX_ID.search(text)
    if spdx:
        return SPDX[spdx.group(1).lower()]
    found = _creative_commons(text)
    if found:
        return found
    for match in _PUBLIC_DOMAIN.finditer(text) if public_domain else ():
        if not _NEGATED.search(text[: match.start()]):
            return PUBLIC_DOMAIN_MARK
    return None


def licence_url(texts: list[str], restricted: bool = False) -> str | None:
    """The licence the constraint texts name, as a URI: a licence URL first, else an SPDX id or name.

    `restricted` says the record's access codes limit access or use (ISO's copyright, license,
    restricted ...): like a use restriction in the texts, it rules out a public-domain statement.
    """
    for text in texts:
        for url in urls_in(text):
            if is_licence_url(url):
                return url
    public_domain = not restricted and not any(_limits_use(text) for text in texts)
    for text in texts:
        found = _named(text, public_domain)
        if found:
            return found
    return None
