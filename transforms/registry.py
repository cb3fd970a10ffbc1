"""The source registry: a YAML file with a top-level ``sources:`` list.

Each entry says where a source is and how to read it. Validation collects every
problem and names the entry and field, so whoever edits the registry can fix all
of them at once.
"""

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import yaml

from transforms.safety.address_guard import address_problem
from transforms.schemas import DcatVersion

SOURCE_TYPES = ("datajson", "waf", "waf-collection", "iso-document")
DCATUS3 = "dcatus3.0"
DATAJSON_SCHEMAS = ("dcatus1.1-federal", "dcatus1.1-non-federal", DCATUS3)
PUBLISH_AS = (DCATUS3,)  # the versions a source (or a run) may ask its records to be published in
XML_SCHEMAS = ("iso19115", "fgdc")
ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
KNOWN_FIELDS = {
    "id",
    "title",
    "organization",
    "url",
    "type",
    "schema",
    "allow_private_network",
    "collection_url",
    "fixups",
    "enabled",
    "publish_as",
    "time_budget_s",
    "frequency",
    "notification_emails",
    "notification_frequency",
}
# data.gov's harvester vocabulary (harvest_source.frequency and .notification_frequency).
# A scheduled run picks a source once this long has passed since its last harvest; "manual" never.
FREQUENCIES = {
    "manual": None,
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "biweekly": timedelta(days=14),
    "monthly": timedelta(days=30),
}
DEFAULT_FREQUENCY = "daily"
# A scheduled run that starts a little after its trigger (the hourly trigger, plus the job's own start)
# must not push the source's next harvest a whole trigger period later every time.
SCHEDULE_SLACK = timedelta(minutes=30)
# always: after every harvest; on_error: when the source failed, was held or had rejected records;
# on_error_or_update: also when records were created, updated or deleted.
NOTIFICATION_FREQUENCIES = ("always", "on_error", "on_error_or_update")
DEFAULT_NOTIFICATION_FREQUENCY = "on_error"
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
MAX_NOTIFICATION_EMAILS = 50  # SES takes at most 50 recipients per message
DEFAULT_TIME_BUDGET_S = (
    3600.0  # one source's whole extract; keep it well under the job timeout (JobTimeoutMinutes)
)


def literal_host_problem(url: str) -> str | None:
    """Why a URL's host, written as an IP literal or ``localhost``, is not public ("is loopback"), else None.

    Only what the URL itself says is judged (no DNS lookup: a registry check must not depend on the
    network); names that resolve to private addresses are still refused by the fetcher's address guard.
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "is loopback"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name, not an address
    return address_problem(host)


class RegistryError(ValueError):
    """The registry file is unreadable or has invalid entries; the message lists every problem."""


# The transform's fix-ups a source may switch (transforms.crosswalk.fixups applies them).
# name -> (description, applies to "xml" and/or "json" records)
FIXUPS = {
    "default_contact": ("contactPoint missing or without name/email: fill from the default contact", {"xml"}),
    "default_publisher": ("publisher missing: use the source's organization", {"xml"}),
    "default_access_level": ("accessLevel missing: 'public' (ISO/FGDC have no such field)", {"xml"}),
    "default_keyword": ("no keywords: 'geospatial' (POD v1.1 CSDGM crosswalk)", {"xml"}),
    "geospatial_theme": ("add 'geospatial' to theme (POD asks it of geospatial records)", {"xml"}),
    "landing_page_distribution": ("add the landing page as a distribution when not already one", {"xml"}),
    "url_scheme": ("prefix https:// to URLs written without a scheme (www.agency.gov/...)", {"xml", "json"}),
    # Values the schema refuses, mended only where the meaning is unambiguous (docs/CROSSWALK.md, Fix-up policy).
    "frequency_words": (
        "accrualPeriodicity written as a word (Weekly, Annual): the ISO 8601 duration",
        {"xml", "json"},
    ),
    "year_range": ("temporal written as a year range (2023-2024): the interval 2023/2024", {"xml", "json"}),
    "text_described_by": (
        "describedBy that is text, not a URL: left out (the field is optional)",
        {"xml", "json"},
    ),
    "rights_length": ("rights over 255 characters: cut at a word, ending with …", {"xml", "json"}),
}


def validate_fixup_options(options) -> list[str]:
    """Problems with a source's fix-up options: unknown names and bad values (empty when fine)."""
    if not isinstance(options, dict):
        return ["fixups must be a mapping of fix-up name to true/false"]
    problems = []
    for name, setting in options.items():
        if name not in FIXUPS:
            problems.append(f"unknown fix-up {name!r}; known: {', '.join(sorted(FIXUPS))}")
        elif name == "default_contact" and isinstance(setting, dict):
            extra = set(setting) - {"fn", "hasEmail"}
            if extra or not all(isinstance(v, str) and v.strip() for v in setting.values()):
                problems.append(
                    "fix-up 'default_contact' takes true/false or {fn: name, hasEmail: mailto:...}"
                )
        elif not isinstance(setting, bool):
            problems.append(f"fix-up {name!r} must be true or false, found {setting!r}")
    return problems


@dataclass(frozen=True)
class Source:
    """One harvest source, as declared in the registry."""

    id: str
    title: str
    organization: str
    url: str
    type: str
    schema: str
    allow_private_network: bool = False
    collection_url: str | None = None  # the parent record of a waf-collection
    fixups: dict = field(default_factory=dict)  # per-source fix-up options for the transform
    enabled: bool = True
    publish_as: str | None = None  # "dcatus3.0": upgrade the 1.1 (or ISO/FGDC) records to DCAT-US 3.0
    time_budget_s: float = DEFAULT_TIME_BUDGET_S  # when it runs out, the source fails (and deletes nothing)
    frequency: str = DEFAULT_FREQUENCY  # how often a scheduled run harvests it (FREQUENCIES)
    notification_emails: tuple[str, ...] = ()  # the publisher's own addresses for its harvest notices
    notification_frequency: str = DEFAULT_NOTIFICATION_FREQUENCY  # when they hear (NOTIFICATION_FREQUENCIES)


def _url_problems(where: str, entry: dict) -> list[str]:
    """The url and collection_url checks: scheme, and file:// or non-public hosts only with the permission."""
    problems = []
    allowed = entry.get("allow_private_network") is True
    for name in ("url", "collection_url"):
        value = entry.get(name)
        scheme = urlsplit(value).scheme.lower() if isinstance(value, str) else None
        if scheme == "file" and not allowed:
            problems.append(
                f"{where}: field '{name}' is a file:// URL, which reads the harvest machine's own disk; "
                "set allow_private_network: true on the source to allow it"
            )
        elif isinstance(value, str) and scheme not in ("http", "https", "file"):
            problems.append(
                f"{where}: field '{name}' must be an http://, https:// or file:// URL, found {value!r}"
            )
        elif isinstance(value, str) and not allowed:
            private = literal_host_problem(value)
            if private:
                problems.append(
                    f"{where}: field '{name}' points at {urlsplit(value).hostname}, which {private}; "
                    "set allow_private_network: true on the source to allow it"
                )
    return problems


def _schedule_problems(where: str, entry: dict) -> list[str]:
    """The frequency and notification checks: data.gov's values, and a list of plain e-mail addresses."""
    problems = []
    for name, allowed in (("frequency", FREQUENCIES), ("notification_frequency", NOTIFICATION_FREQUENCIES)):
        if name in entry and entry[name] not in allowed:
            problems.append(
                f"{where}: field '{name}' must be one of {', '.join(allowed)}, found {entry[name]!r}"
            )
    emails = entry.get("notification_emails", [])
    if not isinstance(emails, list) or not all(isinstance(email, str) for email in emails):
        problems.append(f"{where}: field 'notification_emails' must be a list of e-mail addresses")
    elif len(emails) > MAX_NOTIFICATION_EMAILS:
        problems.append(
            f"{where}: field 'notification_emails' lists more than {MAX_NOTIFICATION_EMAILS} addresses"
        )
    else:
        problems += [
            f"{where}: field 'notification_emails': {email!r} is not an e-mail address"
            for email in emails
            if not EMAIL_PATTERN.match(email.strip())
        ]
    return problems


def _entry_problems(index: int, entry) -> list[str]:
    where = f"sources[{index}]"
    if not isinstance(entry, dict):
        return [f"{where}: must be a mapping of fields, found {type(entry).__name__}"]
    if isinstance(entry.get("id"), str):
        where = f"sources[{index}] (id {entry['id']!r})"
    problems = []
    for name in ("id", "title", "organization", "url", "type", "schema"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: field '{name}' is required and must be a non-empty string")
    unknown = sorted(set(entry) - KNOWN_FIELDS)
    if unknown:
        problems.append(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_FIELDS))}"
        )
    if isinstance(entry.get("id"), str) and not ID_PATTERN.match(entry["id"]):
        problems.append(f"{where}: field 'id' must match [a-z0-9-]+ (lowercase letters, digits, hyphens)")
    problems += _url_problems(where, entry)
    kind, schema = entry.get("type"), entry.get("schema")
    if isinstance(kind, str) and kind not in SOURCE_TYPES:
        problems.append(f"{where}: field 'type' must be one of {', '.join(SOURCE_TYPES)}, found {kind!r}")
    allowed = DATAJSON_SCHEMAS if kind == "datajson" else XML_SCHEMAS
    if kind in SOURCE_TYPES and isinstance(schema, str) and schema not in allowed:
        problems.append(
            f"{where}: field 'schema' for type {kind} must be one of {', '.join(allowed)}, found {schema!r}"
        )
    if "publish_as" in entry and entry["publish_as"] not in PUBLISH_AS:
        problems.append(
            f"{where}: field 'publish_as' must be one of {', '.join(PUBLISH_AS)}, found {entry['publish_as']!r}"
        )
    if kind == "waf-collection" and not entry.get("collection_url"):
        problems.append(f"{where}: field 'collection_url' is required for type waf-collection")
    for name in ("allow_private_network", "enabled"):
        if name in entry and not isinstance(entry[name], bool):
            problems.append(f"{where}: field '{name}' must be true or false")
    budget = entry.get("time_budget_s", DEFAULT_TIME_BUDGET_S)
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 < budget <= 86400:
        problems.append(
            f"{where}: field 'time_budget_s' must be a number of seconds, above 0 and at most 86400"
        )
    problems += _schedule_problems(where, entry)
    if "fixups" in entry and not isinstance(entry["fixups"], dict):
        problems.append(f"{where}: field 'fixups' must be a mapping of fix-up name to setting")
    elif isinstance(entry.get("fixups"), dict):
        problems += [f"{where}: fixups: {problem}" for problem in validate_fixup_options(entry["fixups"])]
    return problems


# libyaml's loader where PyYAML was built with it: the same safe constructor, read ten times faster.
_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_registry(text: str) -> list[Source]:
    """Parse and validate registry YAML text; raise RegistryError listing every problem."""
    return list(_parsed_registry(text))


# Every stage reads the run's sources from the pinned registry text, and load more than once (a
# 233-source registry: 85 ms a parse, 11 ms with libyaml), so a process parses each text once.
@functools.lru_cache(maxsize=8)
def _parsed_registry(text: str) -> tuple[Source, ...]:
    try:
        document = yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except yaml.YAMLError:
        try:  # the pure-Python parser words the error (line, column and what it expected)
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RegistryError(f"source registry is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise RegistryError("source registry must be a mapping with a top-level 'sources:' list")
    entries = document["sources"]
    problems = [problem for index, entry in enumerate(entries) for problem in _entry_problems(index, entry)]
    ids = [entry.get("id") for entry in entries if isinstance(entry, dict)]
    problems += [
        f"field 'id': {dup!r} is used by more than one source"
        for dup in sorted({i for i in ids if ids.count(i) > 1})
    ]
    if problems:
        raise RegistryError("invalid source registry:\n  " + "\n  ".join(problems))
    return tuple(Source(**{name: _cleaned(value) for name, value in entry.items()}) for entry in entries)


def _cleaned(value):
    """A field's value as a Source holds it: text stripped, a list as a tuple (a Source is immutable)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return tuple(_cleaned(item) for item in value)
    return value


def published_version(source: Source, run_publish_as: str = "") -> DcatVersion:
    """The DCAT-US version a source's records are published in: 3.0 for a 3.0 source, or when the
    source (``publish_as``) or the whole run (the ``publish-as`` job argument) asks for it; else 1.1."""
    if DCATUS3 in (source.schema, source.publish_as, run_publish_as.strip()):
        return DcatVersion.V3_0
    return DcatVersion.V1_1


def due_sources(sources: list[Source], last_harvests: dict[str, datetime], now: datetime) -> list[Source]:
    """The enabled sources a scheduled run at ``now`` harvests: never harvested, or harvested at least their
    frequency's interval (less SCHEDULE_SLACK) before ``now``. A "manual" source is never due.

    ``last_harvests``: source id -> when its last harvest started (transforms.lake.harvest_times).
    """
    due = []
    for source in sources:
        interval = FREQUENCIES[source.frequency]
        if not source.enabled or interval is None:
            continue
        last = last_harvests.get(source.id)
        if last is None or now - last >= interval - SCHEDULE_SLACK:
            due.append(source)
    return due


def select_sources(sources: list[Source], only: list[str] | None) -> list[Source]:
    """The enabled sources, or just the named ones; an unknown name is an error."""
    if not only:
        return [source for source in sources if source.enabled]
    known = {source.id: source for source in sources}
    missing = [name for name in only if name not in known]
    if missing:
        raise RegistryError(f"unknown source id(s) {', '.join(missing)}; the registry has {', '.join(known)}")
    return [known[name] for name in only]
