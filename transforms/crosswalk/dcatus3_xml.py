"""What an ISO or FGDC record says that DCAT-US 3.0 can express and 1.1 cannot, read from the XML.

The 1.1 crosswalk keeps one bounding box, one merged period (and no open-ended one) and one contact.
A record published as 3.0 gets them all: every bounding box as a Location with a ``bbox``, every
temporal extent as a PeriodOfTime (open-ended ones too), and every responsible party with its role
as a ``qualifiedAttribution``. The 1.1 crosswalk's output is upgraded first
(``dcatus3_upgrade``); these fields replace what it made of the same things.
"""

from transforms.crosswalk import dates, fgdc, iso_parts
from transforms.crosswalk.dcatus3_values import bbox_wkt, period, schema_date
from transforms.crosswalk.xml_kinds import FGDC, children, code, descendants, first, first_value, value, walk

_FGDC_ROLES = (  # FGDC contact -> the ISO 19115 role code it corresponds to
    ("idinfo/ptcontac/cntinfo", "pointOfContact"),
    ("distinfo/distrib/cntinfo", "distributor"),
    ("metainfo/metc/cntinfo", "metadataContact"),
)
_PARTY_NAMES = (
    "party/CI_Organisation/name",
    "party/CI_Individual/name",
    "party/CI_Organisation/individual/CI_Individual/name",
)


def _date(text: str | None) -> str | None:
    """An ISO or FGDC date as 3.0 writes it; dates.iso_date reads no "unknown", "present", ..."""
    iso = dates.iso_date(text)
    return schema_date(iso) if iso else None


def _locations(boxes: list[list]) -> list[dict]:
    found = []
    for corners in boxes:
        wkt = bbox_wkt(*corners) if all(corners) else None
        if wkt and {"@type": "Location", "bbox": wkt} not in found:
            found.append({"@type": "Location", "bbox": wkt})
    return found


def _periods(pairs: list[tuple]) -> list[dict]:
    found = []
    for start, end in pairs:
        made = period(_date(start), _date(end))
        if made and made not in found:
            found.append(made)
    return found


def _attribution(role: str | None, names: list[str | None]) -> dict | None:
    name = ", ".join(n for n in names if n)
    if not (role and name):
        return None
    return {"@type": "Attribution", "hadRole": role, "agent": {"@type": "Agent", "name": name}}


def _iso_parties(scope) -> list:
    parties = []
    for party in descendants(scope, "CI_ResponsibleParty"):  # ISO 19139 and 19115-2
        names = [first_value(party, "organisationName"), first_value(party, "individualName")]
        parties.append(_attribution(code(first(party, "role")), names))
    for party in descendants(scope, "CI_Responsibility"):  # ISO 19115-3
        names = [first_value(party, path) for path in _PARTY_NAMES]
        parties.append(_attribution(code(first(party, "role")), names))
    return parties


def _iso_parts(root) -> tuple[list, list, list]:
    """Boxes, periods and parties of the resource: its identification (and its distributors), not
    the metadata's own contact or the sources of its lineage."""
    boxes, pairs, parties = [], [], []
    for ident in children(root, "identificationInfo"):
        boxes += [
            [first_value(box, name) for name in iso_parts.BOX_CORNERS]
            for box in descendants(ident, "EX_GeographicBoundingBox")
        ]
        for extent in descendants(ident, "EX_TemporalExtent"):
            for span in descendants(extent, "TimePeriod"):
                pairs.append(tuple(_position(span, side) for side in ("begin", "end")))
            instants = walk(extent, "extent/TimeInstant/timePosition")
            pairs += [(moment, moment) for moment in map(value, instants) if moment]
        parties += _iso_parties(ident)
    for distribution in children(root, "distributionInfo"):
        parties += _iso_parties(distribution)
    return boxes, pairs, parties


def _position(span, side: str) -> str | None:
    """A TimePeriod's begin or end: a position, a TimeInstant, or (mdTranslator) the date inline."""
    paths = (f"{side}Position", f"{side}/TimeInstant/timePosition", side)
    return next((found for path in paths if (found := first_value(span, path))), None)


def _fgdc_parts(root) -> tuple[list, list, list]:
    boxes = [
        [first_value(box, name) for name in fgdc.BOX_CORNERS] for box in walk(root, "idinfo/spdom/bounding")
    ]
    pairs = []
    for info in walk(root, "idinfo/timeperd/timeinfo"):
        pairs += [
            (first_value(span, "begdate"), first_value(span, "enddate")) for span in walk(info, "rngdates")
        ]
        pairs += [(day, day) for day in map(value, descendants(info, "caldate")) if day]
    parties = []
    for path, role in _FGDC_ROLES:
        for contact in walk(root, path):
            names = [
                first_value(contact, f"{holder}/{field}")
                for holder in ("cntorgp", "cntperp")
                for field in ("cntorg", "cntper")
            ]
            parties.append(_attribution(role, list(dict.fromkeys(n for n in names if n))))
    for citation in walk(root, "idinfo/citation/citeinfo"):
        parties += [_attribution("originator", [name]) for name in map(value, walk(citation, "origin"))]
        parties += [
            _attribution("publisher", [name]) for name in map(value, walk(citation, "pubinfo/publish"))
        ]
    return boxes, pairs, parties


def enrich_from_xml(record: dict, root, kind: str) -> list[str]:
    """Set the 3.0 spatial, temporal and qualifiedAttribution of an upgraded record from its XML; the warnings."""
    boxes, pairs, parties = _fgdc_parts(root) if kind == FGDC else _iso_parts(root)
    warnings = []
    locations, periods = _locations(boxes), _periods(pairs)
    attributions = [p for i, p in enumerate(parties) if p and p not in parties[:i]]
    if locations:
        record["spatial"] = locations
        warnings.append(f"upgrade: spatial: the record's {len(locations)} bounding box(es), each a Location")
    if periods:
        record["temporal"] = periods
        warnings.append(f"upgrade: temporal: the record's {len(periods)} time period(s), each a PeriodOfTime")
    if attributions:
        record["qualifiedAttribution"] = attributions
        roles = ", ".join(sorted({a["hadRole"] for a in attributions}))
        warnings.append(
            f"upgrade: qualifiedAttribution: {len(attributions)} contact(s) with their role ({roles})"
        )
    return warnings
