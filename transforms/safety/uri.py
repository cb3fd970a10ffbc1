"""One http(s) URL, one string: an IRI made a URI (RFC 3987) and put in RFC 3986 normal form.

A listing is HTML a publisher's server wrote, and its links are whatever the page holds: names in
any script (``données/``), spaces, ``%2e%2e`` segments, upper-case host names, default ports. Each
link is made a URI once, before anything compares or fetches it, so that the scope test, the test
for a link seen twice and the request line all read the same string, and ``http.client`` never
meets a character it cannot send.
"""

import re
import string
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_CHARS = "".join(sorted(_UNRESERVED)) + _SUB_DELIMS + ":@/"  # RFC 3986 section 3.3
_QUERY_CHARS = _PATH_CHARS + "?"  # section 3.4
# What normalisation rewrites: a percent-encoding, or one character the component may not hold.
_PATH_TO_NORMALISE = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{re.escape(_PATH_CHARS)}]")
_QUERY_TO_NORMALISE = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{re.escape(_QUERY_CHARS)}]")
_HOST_NAME = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}\.?")  # ASCII labels of 1 to 63


class UnusableUrl(ValueError):
    """A link no request can carry (a host that is no host name, a port out of range, ...); the
    message says why."""


def _percent_normalised(text: str, to_normalise: re.Pattern[str]) -> str:
    """``text`` with every character a URI may not hold percent-encoded as UTF-8 (RFC 3987 section
    3.1; a ``%`` that starts no percent-encoding too), percent-encodings of unreserved characters
    decoded and the others in upper case (RFC 3986 section 6.2.2). Bytes a header carried as
    Latin-1 text (surrogate escapes) are encoded as the bytes they were."""

    def normal(found: re.Match[str]) -> str:
        token = found.group()
        if len(token) == 3:  # a percent-encoding
            decoded = chr(int(token[1:], 16))
            return decoded if decoded in _UNRESERVED else token.upper()
        return "".join(f"%{byte:02X}" for byte in token.encode("utf-8", "surrogateescape"))

    return to_normalise.sub(normal, text)


def _without_dot_segments(path: str) -> str:
    """An absolute path with its ``.`` and ``..`` segments resolved (RFC 3986 section 5.2.4) and its
    empty segments merged, as Apache and nginx merge ``//`` before resolving ``..``."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in ("", "."):
            kept.append(segment)
    folder = bool(kept) and segments[-1] in ("", ".", "..")
    return "/" + "/".join(kept) + ("/" if folder else "")


def _host(hostname: str, netloc: str) -> str:
    """The host of a URL in its one ASCII form: IDNA A-labels in lower case, an IPv6 literal in brackets."""
    if netloc.rpartition("@")[2].startswith("["):
        return f"[{hostname}]"
    if _HOST_NAME.fullmatch(hostname):  # already ASCII and in lower case (urlsplit lowers it): no IDNA
        return hostname
    try:
        name = unquote(hostname, errors="strict").encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise UnusableUrl(f"its host name is not a host name ({error})") from None
    if not _HOST_NAME.fullmatch(name):
        raise UnusableUrl("its host name holds characters no host name has")
    return name


def normalise_url(url: str) -> str:
    """``url`` as the one URI it stands for, if it is http or https (a URL of another scheme comes back
    as it is: nothing here fetches it). UnusableUrl when no request can carry it.

    The scheme and host in lower case, the host in IDNA A-labels, no default port and no user
    name (never sent: a link that names one is the same file), the path and query percent-encoded
    in RFC 3986 normal form, dot segments resolved and ``//`` merged, the fragment dropped.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:  # an IPv6 literal that is none, a port that is no number, ...
        raise UnusableUrl(str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return url
    if not hostname:
        raise UnusableUrl("it names no host")
    host = _host(hostname, parts.netloc)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    try:
        path = _without_dot_segments(_percent_normalised(parts.path or "/", _PATH_TO_NORMALISE))
        query = _percent_normalised(parts.query, _QUERY_TO_NORMALISE)
    except UnicodeEncodeError:  # a lone surrogate: no character, so no UTF-8 bytes either
        raise UnusableUrl("it holds a character that is not Unicode text") from None
    return urlunsplit((scheme, netloc, path, query, ""))


def resolve(base_url: str, reference: str) -> str:
    """The normalised URL a reference (a link, a ``Location`` header) read at ``base_url`` points to,
    without its fragment; UnusableUrl when no request could carry it.

    Resolved as RFC 3986 section 5.2.2 says, with dot segments left to :func:`normalise_url`:
    ``urljoin`` splits the old ``;params`` off the last segment first, and so reads ``..;x`` as
    ``..``, which takes a link out of its folder.
    """
    try:
        target = urlsplit(reference)
        if not target.scheme:
            base = urlsplit(base_url)
            path = target.path
            if not target.netloc and not path:
                path = base.path
            elif not target.netloc and not path.startswith("/"):
                path = base.path.rpartition("/")[0] + "/" + path  # the merge of section 5.2.3
            netloc = target.netloc or base.netloc
            query = target.query or ("" if target.netloc or target.path else base.query)
            target = target._replace(scheme=base.scheme, netloc=netloc, path=path, query=query)
        return normalise_url(urlunsplit(target))
    except ValueError as error:  # a reference no URL parser accepts ("http://[x")
        raise UnusableUrl(str(error)) from None


def header_text(value: str) -> str:
    """A header value (``Location``) as the text its sender meant: ``http.client`` reads header bytes
    as Latin-1, while servers send UTF-8 names; bytes that are not UTF-8 stay bytes (surrogate
    escapes), which :func:`normalise_url` percent-encodes as they were."""
    return value.encode("latin-1", "replace").decode("utf-8", "surrogateescape")
