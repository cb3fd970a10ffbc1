"""ISO 19115-2 (gmi), ISO 19139 (gmd) and ISO 19115-3 (mdb) records to DCAT-US 1.1 datasets.

Field paths follow the POD v1.1 FGDC/ISO crosswalk and GSA's mdTranslator DCAT-US mapping;
where this crosswalk departs from mdTranslator's output, tests/test_xml_crosswalk.py says why.
The result has no fix-ups applied: gaps stay gaps here, and transforms.crosswalk.fixups fills them.
"""

from transforms.crosswalk import iso_parts
from transforms.crosswalk.common import mailto, media_type_of
from transforms.crosswalk.xml_kinds import ISO19115_3, code, first, first_value, href, value, values, walk

_DOI = ("doi.org/", "doi:")


def _party_19139(node) -> dict:
    """A gmd:CI_ResponsibleParty as role, person, organisation, position and email."""
    return {
        "role": code(first(node, "role")),
        "person": first_value(node, "individualName"),
        "organisation": first_value(node, "organisationName"),
        "position": first_value(node, "positionName"),
        "email": first_value(node, "contactInfo/CI_Contact/address/CI_Address/electronicMailAddress"),
    }


def _party_19115_3(node) -> dict:
    """A 19115-3 cit:CI_Responsibility (organisation and/or individual) in the same shape."""
    organisation = first(node, "party/CI_Organisation")
    person = first(node, "party/CI_Individual")
    if person is None and organisation is not None:
        person = first(organisation, "individual/CI_Individual")
    contacts = [c for c in (person, organisation) if c is not None]
    emails = [
        e
        for c in contacts
        for e in values(c, "contactInfo/CI_Contact/address/CI_Address/electronicMailAddress")
    ]
    return {
        "role": code(first(node, "role")),
        "person": first_value(person, "name") if person is not None else None,
        "organisation": first_value(organisation, "name") if organisation is not None else None,
        "position": first_value(person, "positionName") if person is not None else None,
        "email": emails[0] if emails else None,
    }


def _contact_point(contacts: list[dict], warnings: list[str]) -> dict | None:
    """contactPoint: the first contact with an email, else the first contact; fn person > org > position."""
    named = [c for c in contacts if c["person"] or c["organisation"] or c["position"]]
    chosen = next((c for c in named if c["email"]), named[0] if named else None)
    if chosen is None:
        return None
    point = {"@type": "vcard:Contact", "fn": chosen["person"] or chosen["organisation"] or chosen["position"]}
    email = mailto(chosen["email"], warnings)
    if email:
        point["hasEmail"] = email
    return point


def _publisher(cited: list[dict], points: list[dict], distributors: list[dict]) -> dict | None:
    """publisher: cited publisher, else point of contact with role publisher, else the distributor."""
    for group, needs_role in ((cited, True), (points, True), (distributors, False)):
        for party in group:
            if party["organisation"] and (party["role"] == "publisher" or not needs_role):
                return {"@type": "org:Organization", "name": party["organisation"]}
    return None


def _landing_page(citation, information: list[str], dataset_uri: str | None, is_3: bool) -> str | None:
    """A DOI of the resource, else a citation online resource, else an 'information' link, else dataSetURI."""
    for node in walk(citation, "identifier/MD_Identifier/code"):
        for candidate in (href(child) for child in node), (value(node),):
            for text in candidate:
                if text and any(mark in text.lower() for mark in _DOI) and "://" in text:
                    return text
    if is_3:
        cited = first_value(citation, "onlineResource/CI_OnlineResource/linkage")
        if cited:
            return cited
    for text in information + [dataset_uri or ""]:
        # A link to a data file (…/county.zip) is a download, not a page describing the dataset.
        if text.startswith(("http://", "https://")) and media_type_of(text) is None:
            return text
    return None


def _related(ident, root, is_3: bool, warnings: list[str]) -> dict:
    """references (aggregated resources' links) and describedBy (feature catalogue link)."""
    path = (
        "associatedResource/MD_AssociatedResource/name/CI_Citation/onlineResource/CI_OnlineResource/linkage"
        if is_3
        else "aggregationInfo/MD_AggregateInformation/aggregateDataSetName/CI_Citation/"
        "citedResponsibleParty/CI_ResponsibleParty/contactInfo/CI_Contact/onlineResource/CI_OnlineResource/linkage"
    )
    out: dict = {}
    references = iso_parts.urls(values(ident, path), "references", warnings)
    if references:
        out["references"] = references
    catalogue = [
        first_value(node, "linkage")
        for node in walk(root, "contentInfo/MD_FeatureCatalogueDescription")
        for node in node.iter()
        if node.tag.endswith("CI_OnlineResource")
    ]
    described = [url for url in catalogue if url and url.startswith(("http://", "https://"))]
    if described:
        out["describedBy"] = described[0]
    return out


def iso_to_dcat(root, kind: str) -> tuple[dict, list[str], str | None]:
    """Crosswalk a parsed ISO record to (DCAT-US dataset without fix-ups, warnings, fileIdentifier)."""
    warnings: list[str] = []
    is_3 = kind == ISO19115_3
    party = _party_19115_3 if is_3 else _party_19139
    responsibility = "CI_Responsibility" if is_3 else "CI_ResponsibleParty"
    ident = first(root, "identificationInfo/*")
    citation = first(ident, "citation/CI_Citation")
    file_identifier = (
        first_value(root, "metadataIdentifier/MD_Identifier/code")
        if is_3
        else first_value(root, "fileIdentifier")
    )
    stamp = first_value(root, "dateInfo/CI_Date/date") if is_3 else first_value(root, "dateStamp")
    dataset: dict = {
        "@type": "dcat:Dataset",
        "title": first_value(citation, "title"),
        "description": first_value(ident, "abstract"),
    }
    words, programs = iso_parts.keywords(ident)
    dataset["keyword"] = words
    dataset["modified"], dataset["issued"] = iso_parts.modified_and_issued(
        iso_parts.citation_dates(citation), stamp
    )
    cited = [party(n) for n in walk(citation, f"citedResponsibleParty/{responsibility}")]
    points = [party(n) for n in walk(ident, f"pointOfContact/{responsibility}")]
    distributors = [
        party(n)
        for n in walk(
            root,
            f"distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorContact/{responsibility}",
        )
    ]
    metadata_contacts = [party(n) for n in walk(root, f"contact/{responsibility}")]
    dataset["publisher"] = _publisher(cited, points, distributors)
    dataset["contactPoint"] = _contact_point(
        points + [c for c in cited if c["role"] == "pointOfContact"] + metadata_contacts, warnings
    )
    if file_identifier:
        dataset["identifier"] = file_identifier
    dataset.update(iso_parts.access(ident, warnings))
    if programs:
        dataset["programCode"] = programs
    dataset.update(iso_parts.spatial_and_temporal(ident, warnings))
    dataset["accrualPeriodicity"] = iso_parts.frequency(ident)
    if is_3:  # the resource's locales, else the metadata record's
        nodes = [
            n
            for holder in (ident, root)
            for side in ("defaultLocale", "otherLocale")
            for n in walk(holder, f"{side}/PT_Locale/language")
        ]
    else:
        nodes = walk(ident, "language")
    found = [code(node) or value(node) for node in nodes]
    dataset["language"] = iso_parts.languages([f for f in found if f], warnings) or None
    dataset["theme"] = values(ident, "topicCategory") or None
    distributions, information = iso_parts.online_resources(first(root, "distributionInfo"), [], warnings)
    dataset["distribution"] = distributions or None
    # POD crosswalk landingPage rule 4: a cited party's online resource with function "information".
    information += [
        first_value(node, "linkage") or ""
        for node in walk(
            citation,
            f"citedResponsibleParty/{responsibility}/contactInfo/CI_Contact/onlineResource/CI_OnlineResource",
        )
        if code(first(node, "function")) == "information"
    ]
    dataset["landingPage"] = _landing_page(citation, information, first_value(root, "dataSetURI"), is_3)
    dataset.update(_related(ident, root, is_3, warnings))
    return (
        {key: item for key, item in dataset.items() if item not in (None, [], "")},
        warnings,
        file_identifier,
    )
