"""DCAT-US 1.1 datasets upgraded to DCAT-US 3.0, following GSA's published 1.1 -> 3.0 mapping.

GSA documents the mapping in ``jsonschema/convert_dcat_1_1_to_3_0.py`` of GSA/dcat-us; this is the
project's own implementation of it, field by field (docs/DCATUS3.md has the table). Every change a
record receives is recorded as a warning (``upgrade: ...``), so a publisher sees what their record
became. Fields the mapping does not touch (title, description, keyword, bureauCode, accessLevel,
distribution URLs, ...) are kept: 3.0 allows fields it does not define. The validate stage checks the
result against the 3.0 schema of its class; a record that cannot be upgraded validly is rejected there.

Where the mapping loses nothing it is followed exactly; where it would drop a value 3.0 accepts, the
value is kept (an ``issued`` year, a date-time with a time zone).
"""

import copy
import json
import re
from collections.abc import Callable

from transforms.crosswalk.dcatus3_values import (
    bbox_wkt,
    frequency_of,
    period_of_time,
    schema_date,
    two_letter_language,
)
from transforms.schemas import RecordType

ACCESS_RIGHTS = {  # 1.1 accessLevel -> the 3.0 accessRights statement beside it
    "public": "public",
    "restricted public": "Access restricted. Contact the publisher to request access.",
    "non-public": "Not available for public release. Contact the publisher for more information.",
}
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
Step = Callable[[dict, list[str]], None]


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return json.dumps(text if len(text) <= 60 else text[:57] + "...", ensure_ascii=False)


def _date(name: str) -> Step:
    """A date field in a form 3.0 accepts; a modified that is an update frequency becomes accrualPeriodicity."""

    def step(record: dict, warnings: list[str]) -> None:
        given = record.get(name)
        if not isinstance(given, str):
            return
        converted = schema_date(given)
        if converted == given:
            return
        if converted:
            record[name] = converted
            warnings.append(f"upgrade: {name} {_short(given)} has no time zone; kept as the date {converted}")
            return
        last = given.strip().split("/")[-1]
        end = schema_date(last) if "/" in given else None
        if end:  # an interval of dates: last modified at its end
            record[name] = end
            warnings.append(f"upgrade: {name} {_short(given)} is an interval; kept its end {end}")
            return
        del record[name]
        frequency = frequency_of(last) if name == "modified" else None
        if not frequency:
            warnings.append(f"upgrade: {name} {_short(given)} is not a date; dropped")
            return
        if not record.get("accrualPeriodicity"):
            record["accrualPeriodicity"] = frequency
            frequency = f'accrualPeriodicity "{frequency}", '
        warnings.append(
            f"upgrade: {name} {_short(given)} is an update frequency, not a date: {frequency}dropped"
        )

    return step


def _temporal(record: dict, warnings: list[str]) -> None:
    given = record.get("temporal")
    if not isinstance(given, str):
        return
    period = period_of_time(given)
    if period is None:
        del record["temporal"]
        warnings.append(f"upgrade: temporal {_short(given)} is not a start/end period; dropped")
        return
    record["temporal"] = [period]
    span = f"{period.get('startDate', '..')} to {period.get('endDate', '..')}"
    warnings.append(f"upgrade: temporal {_short(given)} became a PeriodOfTime ({span})")


def _spatial(record: dict, warnings: list[str]) -> None:
    given = record.get("spatial")
    if isinstance(given, str) and given.strip().startswith("{"):
        try:
            given = json.loads(given)
        except ValueError:
            pass
    if isinstance(given, dict) and "coordinates" in given:
        record["spatial"] = [{"@type": "Location", "geometry": given}]
        warnings.append("upgrade: spatial GeoJSON became a Location geometry")
    elif isinstance(given, str) and given.strip():
        parts = given.split(",")
        box = bbox_wkt(*parts) if len(parts) == 4 else None
        if box:
            record["spatial"] = [{"@type": "Location", "bbox": box}]
            warnings.append(f"upgrade: spatial {_short(given)} became a Location with a bounding box")
        else:
            record["spatial"] = [{"@type": "Location", "prefLabel": given.strip()}]
            warnings.append(f"upgrade: spatial {_short(given)} became a Location named so")


def _languages(record: dict, where: str, warnings: list[str]) -> None:
    given = record.get("language")
    if given is None:
        return
    tags = given if isinstance(given, list) else [given]
    codes = list(dict.fromkeys(code for code in map(two_letter_language, tags) if code))
    if codes == tags:
        return
    if codes:
        record["language"] = codes
    else:
        del record["language"]
    warnings.append(
        f"upgrade: {where}language {_short(given)} became {_short(codes) if codes else 'nothing'}"
    )


def _language(record: dict, warnings: list[str]) -> None:
    _languages(record, "", warnings)
    for index, item in enumerate(_distributions(record)):
        _languages(item, f"distribution[{index}].", warnings)


def _distributions(record: dict) -> list[dict]:
    items = record.get("distribution")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _access_rights(record: dict, warnings: list[str]) -> None:
    level = record.get("accessLevel")
    if "accessRights" not in record and isinstance(level, str) and level in ACCESS_RIGHTS:
        record["accessRights"] = ACCESS_RIGHTS[level]
        warnings.append(f'upgrade: accessRights "{ACCESS_RIGHTS[level]}" added beside accessLevel "{level}"')


def _license(record: dict, warnings: list[str]) -> None:
    given = record.get("license")
    missing = [item for item in _distributions(record) if "license" not in item]
    if isinstance(given, str) and given and missing:
        for item in missing:
            item["license"] = given
        warnings.append(f"upgrade: license copied to {len(missing)} distribution(s)")


def _as_list(name: str) -> Step:
    def step(record: dict, warnings: list[str]) -> None:
        given = record.get(name)
        if name not in record or isinstance(given, list):
            return
        if isinstance(given, str):
            record[name] = [given]
            warnings.append(f"upgrade: {name} became a list")
        else:
            del record[name]
            warnings.append(f"upgrade: {name} {_short(given)} is not text; dropped")

    return step


def _described_by(record: dict, where: str, warnings: list[str]) -> None:
    given = record.get("describedBy")
    if isinstance(given, str):
        record["describedBy"] = {"@type": "Distribution", "accessURL": given}
        if isinstance(record.get("describedByType"), str):
            record["describedBy"]["mediaType"] = record.pop("describedByType")
        warnings.append(f"upgrade: {where}describedBy became a Distribution")


def _conforms_to(record: dict, where: str, warnings: list[str]) -> None:
    given = record.get("conformsTo")
    if isinstance(given, str):
        record["conformsTo"] = [{"@type": "Standard", "identifier": given}]
        warnings.append(f"upgrade: {where}conformsTo became a Standard")


def _documents(record: dict, warnings: list[str]) -> None:
    for target, where in [(record, "")] + [
        (d, f"distribution[{i}].") for i, d in enumerate(_distributions(record))
    ]:
        _described_by(target, where, warnings)
        _conforms_to(target, where, warnings)
    landing = record.get("landingPage")
    if isinstance(landing, str):
        record["landingPage"] = {
            "@type": "Document",
            "accessURL": landing,
            "title": record.get("title") or landing,
        }
        warnings.append("upgrade: landingPage became a Document")


def _sub_organizations(organization) -> bool:
    parent = organization.get("subOrganizationOf") if isinstance(organization, dict) else None
    if isinstance(parent, dict):
        organization["subOrganizationOf"] = [parent]
        _sub_organizations(parent)
        return True
    return any(_sub_organizations(p) for p in parent) if isinstance(parent, list) else False


def _publisher(record: dict, warnings: list[str]) -> None:
    if _sub_organizations(record.get("publisher")):
        warnings.append("upgrade: publisher.subOrganizationOf became a list at every level")


def _contact(record: dict, warnings: list[str]) -> None:
    contacts = record.get("contactPoint")
    for contact in contacts if isinstance(contacts, list) else [contacts]:
        email = contact.get("hasEmail") if isinstance(contact, dict) else None
        if isinstance(email, str) and email != email.strip():
            contact["hasEmail"] = email.strip()
            warnings.append("upgrade: contactPoint.hasEmail lost its surrounding spaces")


def _part_of(record: dict, warnings: list[str]) -> None:
    parent = record.get("isPartOf")
    if isinstance(parent, str) and parent.strip():
        warnings.append(f"upgrade: isPartOf {_short(parent)} kept: a member of that DatasetSeries")


STEPS: tuple[Step, ...] = (
    _date("modified"),
    _temporal,
    _spatial,
    _language,
    _access_rights,
    _license,
    _as_list("rights"),
    _as_list("theme"),
    _documents,
    _publisher,
    _date("issued"),
    _contact,
    _part_of,
)


def _to_series(record: dict, warnings: list[str]) -> None:
    """A dataset others name as their isPartOf, as the DatasetSeries 3.0 makes of it."""
    record["@type"] = "DatasetSeries"
    identifier = record.get("identifier")
    if isinstance(identifier, str) and _IRI.match(identifier):
        record["@id"] = identifier
    if isinstance(record.get("contactPoint"), dict):
        record["contactPoint"] = [record["contactPoint"]]
    if isinstance(record.get("spatial"), dict):
        record["spatial"] = [record["spatial"]]
    warnings.append("upgrade: became a DatasetSeries: other records of the source name it as their isPartOf")


def upgrade_dataset(dataset: dict, series: bool = False) -> tuple[dict, str, list[str]]:
    """(the 3.0 record, its class, the ``upgrade: ...`` warnings) of a 1.1 dataset; the input is not changed.

    ``series``: other records of the source name this one as their ``isPartOf``, so it becomes a
    DatasetSeries (its members stay records of their own, with ``isPartOf``, as data.gov publishes them).
    """
    record = copy.deepcopy(dataset)
    record_type, warnings = upgrade_in_place(record, series)
    return record, record_type, warnings


def upgrade_in_place(record: dict, series: bool = False) -> tuple[str, list[str]]:
    """(the record's 3.0 class, the ``upgrade: ...`` warnings): :func:`upgrade_dataset` without the copy.

    The record is changed in place: for a caller that owns it and needs no 1.1 form of it afterwards
    (the transform stage, whose dataset normalisation has just made); a deep copy per record was a
    third of the 3.0 transform's time.
    """
    warnings: list[str] = []
    for step in STEPS:
        step(record, warnings)
    if series:
        _to_series(record, warnings)
        return RecordType.DATASET_SERIES, warnings
    return RecordType.DATASET, warnings
