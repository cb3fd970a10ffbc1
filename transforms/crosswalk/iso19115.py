"""ISO 19115-2 (gmi), ISO 19139 (gmd) and ISO 19115-3 (mdb) records to DCAT-US 1.1 datasets.

Field paths follow the POD v1.1 FGDC/ISO crosswalk and GSA's mdTranslator DCAT-US mapping;
docs/CROSSWALK.md has the table of source paths, and where this crosswalk departs from
mdTranslator's output, tests/test_xml_crosswalk.py says why.
The result has no fix-ups applied: gaps stay gaps here, and transforms.crosswalk.fixups fills them.
"""

from transforms.crosswalk import iso_distributions, iso_parts, parties
from transforms.crosswalk.common import is_url, media_type_of
from transforms.crosswalk.placeholders import published
from transforms.crosswalk.xml_kinds import ISO19115_3, code, first, first_value, href, value, values, walk

_DOI = ("doi.org/", "doi:")


def _name(party: dict) -> str | None:
    """A contact's fn as the POD crosswalk orders it: person, else organisation, else position."""
    return party["person"] or party["organisation"] or party["position"]


def _parties(root, ident, citation, is_3: bool, warnings: list[str]) -> dict:
    """publisher and contactPoint from the record's responsible parties (see transforms.crosswalk.parties)."""
    cited = parties.iso_parties(citation, "citedResponsibleParty", is_3)
    points = parties.iso_parties(ident, "pointOfContact", is_3, "pointOfContact")
    distributors = [
        p
        for node in walk(root, "distributionInfo/MD_Distribution/distributor/MD_Distributor")
        for p in parties.iso_parties(node, "distributorContact", is_3, "distributor")
    ]
    metadata = parties.iso_parties(root, "contact", is_3)
    # POD v1.1: a cited publisher, a point of contact with role publisher, else the distributor.
    preferred = [p for p in cited + points if p["role"] == "publisher"] + distributors
    # POD v1.1 contact: the points of contact, cited pointOfContact, the metadata contact; then the rest.
    pod_contacts = points + [c for c in cited if c["role"] == "pointOfContact"] + metadata
    others = parties.by_role([c for c in cited if c["role"] != "pointOfContact"] + distributors)
    return {
        "publisher": parties.publisher(preferred, cited + points + distributors, metadata),
        "contactPoint": parties.contact_point(pod_contacts + others, _name, warnings),
    }


def _is_part_of(root, is_3: bool) -> str | None:
    """isPartOf: the parent record's identifier (19139 parentIdentifier; 19115-3 parentMetadata's code
    or uuidref)."""
    if not is_3:
        return first_value(root, "parentIdentifier")
    parent = first(root, "parentMetadata")
    if parent is None:
        return None
    code_text = first_value(parent, "CI_Citation/identifier/MD_Identifier/code")
    return code_text or (parent.get("uuidref") or "").strip() or None


def _landing_page(citation, information: list[str], dataset_uri: str | None, is_3: bool) -> str | None:
    """A DOI of the resource, else a citation online resource, else an 'information' link, else dataSetURI."""
    for node in walk(citation, "identifier/MD_Identifier/code"):
        for candidate in (href(child) for child in node), (value(node),):
            for text in candidate:
                if text and any(mark in text.lower() for mark in _DOI) and "://" in text and is_url(text):
                    return text
    if is_3:
        cited = first_value(citation, "onlineResource/CI_OnlineResource/linkage")
        if cited and is_url(cited):
            return cited
    for text in information + [dataset_uri or ""]:
        # A link to a data file (…/county.zip) is a download, not a page describing the dataset.
        if text.startswith(("http://", "https://")) and is_url(text) and media_type_of(text) is None:
            return text
    return None


_REFERENCES_19139 = (
    "aggregationInfo/MD_AggregateInformation/aggregateDataSetName/CI_Citation/citedResponsibleParty/"
    "CI_ResponsibleParty/contactInfo/CI_Contact/onlineResource/CI_OnlineResource/linkage",
)
_REFERENCES_19115_3 = (
    "associatedResource/MD_AssociatedResource/name/CI_Citation/onlineResource/CI_OnlineResource/linkage",
    "additionalDocumentation/CI_Citation/onlineResource/CI_OnlineResource/linkage",
)


def _related(ident, root, is_3: bool, warnings: list[str]) -> dict:
    """references (aggregated or associated resources' and additional documentation's links) and
    describedBy (feature catalogue link)."""
    out: dict = {}
    paths = _REFERENCES_19115_3 if is_3 else _REFERENCES_19139
    found = [text for path in paths for text in values(ident, path)]
    references = iso_parts.urls(found, "references", warnings)
    if references:
        out["references"] = references
    catalogue = [
        first_value(node, "linkage")
        for node in walk(root, "contentInfo/MD_FeatureCatalogueDescription")
        for node in node.iter()
        if node.tag.endswith("CI_OnlineResource")
    ]
    described = [url for url in catalogue if url and url.startswith(("http://", "https://")) and is_url(url)]
    if described:
        out["describedBy"] = described[0]
    return out


def iso_to_dcat(root, kind: str) -> tuple[dict, list[str], str | None]:
    """Crosswalk a parsed ISO record to (DCAT-US dataset without fix-ups, warnings, fileIdentifier)."""
    warnings: list[str] = []
    is_3 = kind == ISO19115_3
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
        iso_parts.citation_dates(citation, warnings), stamp, warnings
    )
    dataset.update(_parties(root, ident, citation, is_3, warnings))
    if file_identifier:
        dataset["identifier"] = file_identifier
    dataset["isPartOf"] = _is_part_of(root, is_3)
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
    dataset["theme"] = iso_parts.themes(values(ident, "topicCategory"))
    distributions, information = iso_distributions.online_resources(root, warnings)
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
    return published(dataset, warnings), warnings, file_identifier
