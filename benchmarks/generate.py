"""Seeded synthetic harvest sources shaped like the real ones, and their "next day" mutation.

Layout under ``root``::

    www/datajson/<source>/data.json     a DCAT-US 1.1 catalog
    www/waf/<source>/<fileid>.xml       a WAF of ISO 19115-2 (gmi:MI_Metadata) documents
    baseline/<source>.jsonl             the DCAT-US JSON of each WAF record (input of the baseline loop)
    sources.template.yaml               the registry, with {base_url} where the server address goes

The shape parameters below were measured once (by hand, with a throwaway script using json and
lxml) from /work/shared/realdata; nothing reads that folder at run time.
"""

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# -- shape parameters -----------------------------------------------------------------------------
# Quantiles (p0, p10, p25, p50, p75, p90, p99, p100), drawn by linear interpolation between them.
# data.json: the 2,529 datasets of the six agency catalogs in datajson/agency-normalized-2025-02
# (cms, consumerfinance, dhs, dol, energy, gsa).
TITLE_LEN = (8, 16, 25, 38, 55, 77, 122, 178)
DESCRIPTION_LEN = (20, 80, 127, 236, 379, 698, 2019, 3823)
KEYWORD_COUNT = (1, 1, 1, 3, 6, 9, 32, 144)
KEYWORD_LEN = (3, 4, 6, 11, 17, 22, 38, 67)
DISTRIBUTION_COUNT = (0, 0, 0, 0, 1, 3, 29, 345)
# Share of datasets carrying each optional field (required fields are present in all 2,529).
OPTIONAL_PRESENCE = {
    "license": 0.807,
    "rights": 0.752,
    "language": 0.535,
    "accrualPeriodicity": 0.420,
    "dataQuality": 0.363,
    "theme": 0.347,
    "landingPage": 0.342,
    "describedBy": 0.237,
    "temporal": 0.230,
    "spatial": 0.223,
    "references": 0.198,
    "issued": 0.121,
}
ACCESS_LEVELS = (("public", 0.778), ("restricted public", 0.112), ("non-public", 0.110))
LICENSES = (
    "https://www.usa.gov/government-works",
    "http://creativecommons.org/publicdomain/mark/1.0/other-pd",
    "https://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/licenses/by/4.0",
)
PERIODICITY = ("R/P1Y", "R/P3M", "R/PT1S", "R/P1M", "irregular", "R/P1D", "R/P1W")
# spatial: mostly place names, some "W,S,E,N" boxes; temporal: date ranges or year ranges.
PLACES = ("United States", "Global", "National", "U.S. States", "Worldwide", "Fukushima-ken", "Alaska")
# ISO: the 40 ISO 19139 / 19115-2 documents under waf/ (ckanext-geodatagov, ckanext-spatial,
# datagov-harvester, mdTranslator). Sizes in bytes; 39 of 40 have a bounding box, 33 a time period.
ISO_SIZE = (13_000, 17_444, 24_096, 31_285, 37_881, 61_696, 163_777, 613_614)
# The largest real keyword count (1,259) is an invalid-on-purpose fixture (the schema allows 1,000).
ISO_KEYWORD_COUNT = (1, 1, 2, 8, 9, 26, 133, 1000)
ISO_ABSTRACT_LEN = (8, 44, 73, 118, 824, 1973, 2135, 2135)
ISO_TITLE_LEN = (14, 24, 28, 44, 92, 106, 115, 115)
ISO_TEMPORAL_SHARE = 33 / 40
ISO_LINK_COUNT = (1, 1, 1, 2, 4, 5, 6, 6)
# data.gov: ~430,000 datasets from ~1,000 sources, three quarters of them (by records) geospatial XML.
RECORDS_PER_SOURCE = 430
XML_SHARE = 0.75
# The agency catalogs above have no schema-invalid dataset; the harvester's own fixtures are invalid
# on purpose. 1% is a chosen default, not a measurement.
INVALID_SHARE = 0.01

_WORDS = (
    "water quality survey data annual report national county station coastal map imagery elevation "
    "census population health energy transportation lidar ocean temperature monitoring program soil "
    "federal state boundary network climate fisheries habitat wildlife grant budget inspection road "
    "bridge air emissions permit facility hospital school flood hazard risk forest fire land cover"
).split()
_CORPUS_RNG = random.Random(0)
_CORPUS = " ".join(_CORPUS_RNG.choice(_WORDS) for _ in range(6000))


@dataclass(frozen=True)
class SourceSpec:
    """One generated source: its id, kind ("datajson" or "waf") and number of records."""

    id: str
    kind: str
    records: int


def draw(rng: random.Random, quantiles: tuple) -> int:
    """A value from the distribution given by (p0, p10, p25, p50, p75, p90, p99, p100) quantiles."""
    points = (0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 0.99, 1.0)
    u = rng.random()
    for i in range(1, len(points)):
        if u <= points[i]:
            share = (u - points[i - 1]) / (points[i] - points[i - 1])
            return round(quantiles[i - 1] + (quantiles[i] - quantiles[i - 1]) * share)
    return quantiles[-1]


def text(rng: random.Random, length: int) -> str:
    """Words of roughly ``length`` characters (never empty)."""
    length = max(3, min(length, len(_CORPUS) - 1))
    start = _CORPUS.find(" ", rng.randrange(len(_CORPUS) - length - 20)) + 1  # start on a word
    return _CORPUS[start : start + length].strip() or "data"


def record_rng(seed: int, source_id: str, index: int) -> random.Random:
    """The generator of one record: independent of every other record, so a record can be rebuilt alone."""
    return random.Random(f"{seed}:{source_id}:{index}")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2005, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _modified(rng: random.Random) -> str:
    form, day = rng.random(), _date(rng)
    if form < 0.4:
        return day
    if form < 0.7:
        return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:05-05:00"


def _temporal(rng: random.Random) -> str:
    start = rng.randint(1950, 2020)
    if rng.random() < 0.4:
        return f"{start}/{start + rng.randint(1, 10)}"
    return f"{start}-01-01/{start + rng.randint(0, 10)}-12-31"


def _bbox(rng: random.Random) -> tuple[float, float, float, float]:
    west, south = round(rng.uniform(-179, 150), 2), round(rng.uniform(-80, 70), 2)
    return west, south, round(west + rng.uniform(0.1, 29), 2), round(south + rng.uniform(0.1, 9), 2)


def _distribution(rng: random.Random, identifier: str, n: int) -> list[dict]:
    kinds = (
        ("text/csv", "CSV"),
        ("application/json", "JSON"),
        ("application/zip", "ZIP"),
        ("text/html", "HTML"),
    )
    out = []
    for i in range(n):
        media, fmt = rng.choice(kinds)
        item = {"@type": "dcat:Distribution", "title": text(rng, draw(rng, TITLE_LEN))}
        if media == "text/html":
            item["accessURL"] = f"https://data.example.gov/view/{identifier}/{i}"
        else:
            item.update(
                downloadURL=f"https://data.example.gov/files/{identifier}/{i}.{fmt.lower()}",
                mediaType=media,
                format=fmt,
            )
        out.append(item)
    return out


def datajson_record(seed: int, source_id: str, index: int) -> dict:
    """One DCAT-US 1.1 federal dataset, with the field presence and lengths of the real agency catalogs."""
    rng = record_rng(seed, source_id, index)
    identifier = f"{source_id.upper()}-{index:07d}"
    record = {
        "@type": "dcat:Dataset",
        "identifier": identifier,
        "title": text(rng, draw(rng, TITLE_LEN)),
        "description": text(rng, draw(rng, DESCRIPTION_LEN)),
        "keyword": [text(rng, draw(rng, KEYWORD_LEN)) for _ in range(draw(rng, KEYWORD_COUNT))],
        "modified": _modified(rng),
        "publisher": {"@type": "org:Organization", "name": f"Agency {source_id}"},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": "Open Data Team",
            "hasEmail": f"mailto:data@{source_id}.example.gov",
        },
        "accessLevel": rng.choices([a for a, _ in ACCESS_LEVELS], [w for _, w in ACCESS_LEVELS])[0],
        "bureauCode": ["010:00"],
        "programCode": ["010:001"],
    }
    present = {name for name, share in OPTIONAL_PRESENCE.items() if rng.random() < share}
    optional = {
        "license": lambda: rng.choice(LICENSES),
        "rights": lambda: text(rng, 80),
        "language": lambda: ["en-US"],
        "accrualPeriodicity": lambda: rng.choice(PERIODICITY),
        "dataQuality": lambda: rng.random() < 0.9,
        "theme": lambda: [text(rng, 12)],
        "landingPage": lambda: f"https://data.example.gov/d/{identifier}",
        "describedBy": lambda: f"https://data.example.gov/dict/{identifier}.json",
        "temporal": lambda: _temporal(rng),
        "spatial": lambda: rng.choice(PLACES) if rng.random() < 0.7 else ",".join(map(str, _bbox(rng))),
        "references": lambda: [f"https://data.example.gov/ref/{identifier}"],
        "issued": lambda: _date(rng),
    }
    record.update({name: make() for name, make in optional.items() if name in present})
    distributions = draw(rng, DISTRIBUTION_COUNT)
    if distributions:
        record["distribution"] = _distribution(rng, identifier, distributions)
    return record


_GMD = (
    'xmlns:gmi="http://www.isotc211.org/2005/gmi" xmlns:gmd="http://www.isotc211.org/2005/gmd" '
    'xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml/3.2"'
)
_CODE = '<gmd:{0} codeList="http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml#{0}" codeListValue="{1}">{1}</gmd:{0}>'


def _cs(tag: str, value: str) -> str:
    return f"<gmd:{tag}><gco:CharacterString>{value}</gco:CharacterString></gmd:{tag}>"


def _party(organization: str, email: str, role: str) -> str:
    return (
        f"<gmd:CI_ResponsibleParty>{_cs('organisationName', organization)}<gmd:contactInfo><gmd:CI_Contact>"
        f"<gmd:address><gmd:CI_Address>{_cs('electronicMailAddress', email)}</gmd:CI_Address></gmd:address>"
        f"</gmd:CI_Contact></gmd:contactInfo><gmd:role>{_CODE.format('CI_RoleCode', role)}</gmd:role>"
        "</gmd:CI_ResponsibleParty>"
    )


def iso_document(rng: random.Random, f: dict, target_size: int) -> str:
    """An ISO 19115-2 document like the real WAF ones, padded with lineage process steps to ``target_size``."""
    keywords = "".join(_cs("keyword", k) for k in f["keywords"])
    west, south, east, north = f["bbox"]
    temporal = (
        ""
        if not f["temporal"]
        else '<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="t1">'
        f"<gml:beginPosition>{f['temporal'][0]}</gml:beginPosition><gml:endPosition>{f['temporal'][1]}"
        "</gml:endPosition></gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>"
    )
    links = "".join(
        f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{u}</gmd:URL></gmd:linkage>"
        f"{_cs('name', 'download')}</gmd:CI_OnlineResource></gmd:onLine>"
        for u in f["links"]
    )
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gmi:MI_Metadata {_GMD}>\n{_cs("fileIdentifier", f["file_id"])}'
        f"{_cs('language', 'eng')}<gmd:hierarchyLevel>{_CODE.format('MD_ScopeCode', 'dataset')}</gmd:hierarchyLevel>\n"
        f"<gmd:contact>{_party(f['organization'], f['email'], 'pointOfContact')}</gmd:contact>\n"
        f"<gmd:dateStamp><gco:Date>{f['date_stamp']}</gco:Date></gmd:dateStamp>\n"
        f"{_cs('metadataStandardName', 'ISO 19115-2 Geographic Information - Metadata - Part 2')}\n"
        "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>"
        f"<gmd:title><gco:CharacterString>{f['title']}</gco:CharacterString></gmd:title>"
        f"<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{f['date_stamp']}</gco:Date></gmd:date><gmd:dateType>"
        f"{_CODE.format('CI_DateTypeCode', 'publication')}</gmd:dateType></gmd:CI_Date></gmd:date>"
        f"</gmd:CI_Citation></gmd:citation>\n{_cs('abstract', f['abstract'])}\n"
        f"<gmd:pointOfContact>{_party(f['organization'], f['email'], 'pointOfContact')}</gmd:pointOfContact>\n"
        f"<gmd:descriptiveKeywords><gmd:MD_Keywords>{keywords}</gmd:MD_Keywords></gmd:descriptiveKeywords>\n"
        "<gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>"
        f"<gmd:westBoundLongitude><gco:Decimal>{west}</gco:Decimal></gmd:westBoundLongitude>"
        f"<gmd:eastBoundLongitude><gco:Decimal>{east}</gco:Decimal></gmd:eastBoundLongitude>"
        f"<gmd:southBoundLatitude><gco:Decimal>{south}</gco:Decimal></gmd:southBoundLatitude>"
        f"<gmd:northBoundLatitude><gco:Decimal>{north}</gco:Decimal></gmd:northBoundLatitude>"
        f"</gmd:EX_GeographicBoundingBox></gmd:geographicElement>{temporal}</gmd:EX_Extent></gmd:extent>\n"
        "</gmd:MD_DataIdentification></gmd:identificationInfo>\n<gmd:distributionInfo><gmd:MD_Distribution>"
        f"<gmd:transferOptions><gmd:MD_DigitalTransferOptions>{links}</gmd:MD_DigitalTransferOptions>"
        "</gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>\n"
    )
    # Real documents are mostly boilerplate the crosswalk skips (contacts, codelists, lineage): pad with
    # lineage steps so parse and transfer costs match the real sizes.
    processor = f"<gmd:processor>{_party(f['organization'], f['email'], 'processor')}</gmd:processor>"
    stamp = f"<gmd:dateTime><gco:DateTime>{f['date_stamp']}T00:00:00</gco:DateTime></gmd:dateTime>"
    steps, size = [], len(head) + 200
    while size < target_size:
        step = (
            f"<gmd:processStep><gmd:LI_ProcessStep>{_cs('description', text(rng, 400))}{stamp}{processor}"
            "</gmd:LI_ProcessStep></gmd:processStep>\n"
        )
        steps.append(step)
        size += len(step)
    lineage = (
        "<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:lineage><gmd:LI_Lineage>"
        f"{''.join(steps)}</gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>\n"
    )
    return head + lineage + "</gmi:MI_Metadata>\n"


def iso_record(seed: int, source_id: str, index: int) -> tuple[str, dict]:
    """One ISO 19115-2 document and the DCAT-US dataset a crosswalk would make of it."""
    rng = record_rng(seed, source_id, index)
    file_id = f"{source_id}-{index:07d}"
    fields = {
        "file_id": file_id,
        "title": text(rng, draw(rng, ISO_TITLE_LEN)),
        "abstract": text(rng, draw(rng, ISO_ABSTRACT_LEN)),
        "date_stamp": _date(rng),
        "keywords": [text(rng, draw(rng, KEYWORD_LEN)) for _ in range(draw(rng, ISO_KEYWORD_COUNT))],
        "organization": f"Science Center {source_id}",
        "email": f"metadata@{source_id}.example.gov",
        "bbox": _bbox(rng),
        "links": [
            f"https://data.example.gov/{source_id}/{index}/{i}.zip" for i in range(draw(rng, ISO_LINK_COUNT))
        ],
        "temporal": (f"{rng.randint(1950, 2015)}-01-01", f"{rng.randint(2016, 2025)}-12-31")
        if rng.random() < ISO_TEMPORAL_SHARE
        else None,
    }
    document = iso_document(rng, fields, draw(rng, ISO_SIZE))
    west, south, east, north = fields["bbox"]
    dcat = {
        "identifier": file_id,
        "title": fields["title"],
        "description": fields["abstract"],
        "keyword": fields["keywords"],
        "modified": fields["date_stamp"],
        "accessLevel": "public",
        "publisher": {"name": fields["organization"]},
        "bureauCode": ["010:00"],
        "programCode": ["010:001"],
        "contactPoint": {"fn": fields["organization"], "hasEmail": f"mailto:{fields['email']}"},
        "spatial": f"{west},{south},{east},{north}",
        "distribution": [{"downloadURL": link, "mediaType": "application/zip"} for link in fields["links"]],
    }
    if fields["temporal"]:
        dcat["temporal"] = "/".join(fields["temporal"])
    return document, dcat


def break_datajson(record: dict, rng: random.Random) -> dict:
    """Make a dataset schema-invalid the ways real publishers do: a field missing, a bad code or email."""
    kind = rng.randrange(4)
    if kind == 0:
        record.pop("title")
    elif kind == 1:
        record.pop("description")
    elif kind == 2:
        record["accessLevel"] = "secret"
    else:
        record["contactPoint"]["hasEmail"] = "not an email"
    return record


def break_iso(document: str, dcat: dict, rng: random.Random) -> tuple[str, dict]:
    """Make an ISO record unusable: no title, or cut off mid-document (its DCAT JSON loses the title too)."""
    dcat.pop("title")
    if rng.random() < 0.5:
        return document[: len(document) // 2], dcat
    return re.sub(r"<gmd:title>.*?</gmd:title>", "", document, count=1, flags=re.S), dcat


def plan_sources(
    records: int, sources: int | None = None, seed: int = 0, xml_share: float = XML_SHARE
) -> list[SourceSpec]:
    """Split ``records`` into sources with heavy-tailed sizes, ``xml_share`` of the records in WAFs.

    A share of 0 (or 1) makes data.json (or WAF) sources only; any other share makes at least one of each.
    """
    rng = random.Random(f"plan:{seed}")
    sources = max(2, sources or round(records / RECORDS_PER_SOURCE))
    xml_total = round(records * xml_share)
    if xml_total in (0, records):
        n_waf = 0 if xml_total == 0 else sources
    else:
        n_waf = min(max(1, round(sources * xml_share)), max(1, xml_total), sources - 1)
    plan = []
    for kind, count, total in (("datajson", sources - n_waf, records - xml_total), ("waf", n_waf, xml_total)):
        if not count:
            continue
        weights = [rng.paretovariate(1.1) for _ in range(count)]
        sizes = [
            max(1, int(total * w / sum(weights))) if total >= count else int(i < total)
            for i, w in enumerate(weights)
        ]
        sizes[max(range(count), key=weights.__getitem__)] += total - sum(
            sizes
        )  # exact total; the biggest absorbs
        plan += [
            SourceSpec(f"{kind.replace('datajson', 'dj')}-{i:04d}", kind, size)
            for i, size in enumerate(sizes)
        ]
    return plan


def _registry_entry(spec: SourceSpec) -> str:
    url = (
        f"{{base_url}}/datajson/{spec.id}/data.json"
        if spec.kind == "datajson"
        else f"{{base_url}}/waf/{spec.id}/"
    )
    schema = "dcatus1.1-federal" if spec.kind == "datajson" else "iso19115"
    return (
        f"  - id: {spec.id}\n    title: Synthetic source {spec.id}\n    organization: Agency {spec.id}\n"
        f'    url: "{url}"\n    type: {spec.kind}\n    schema: {schema}\n    allow_private_network: true\n'
    )


def write_datajson(path: Path, datasets: list[dict]) -> None:
    """Write a data.json catalog holding ``datasets``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }
    path.write_text(json.dumps(catalog, indent=1), "utf-8")


def generate(
    root: Path,
    records: int,
    sources: int | None = None,
    seed: int = 0,
    invalid_share: float = INVALID_SHARE,
    xml_share: float = XML_SHARE,
) -> list[SourceSpec]:
    """Write ``records`` records in about records/430 sources under ``root`` (replacing it); return the plan."""
    root = Path(root)
    shutil.rmtree(root, ignore_errors=True)
    plan = plan_sources(records, sources, seed, xml_share)
    invalid = set(random.Random(f"invalid:{seed}").sample(range(records), round(records * invalid_share)))
    position = 0
    (root / "baseline").mkdir(parents=True)
    for spec in plan:
        if spec.kind == "datajson":
            datasets = []
            for index in range(spec.records):
                record = datajson_record(seed, spec.id, index)
                if position + index in invalid:
                    record = break_datajson(record, record_rng(seed + 1, spec.id, index))
                datasets.append(record)
            write_datajson(root / "www" / "datajson" / spec.id / "data.json", datasets)
        else:
            folder = root / "www" / "waf" / spec.id
            folder.mkdir(parents=True)
            with open(root / "baseline" / f"{spec.id}.jsonl", "w", encoding="utf-8") as lines:
                for index in range(spec.records):
                    document, dcat = iso_record(seed, spec.id, index)
                    if position + index in invalid:
                        document, dcat = break_iso(document, dcat, record_rng(seed + 1, spec.id, index))
                    (folder / f"{spec.id}-{index:07d}.xml").write_text(document, "utf-8")
                    lines.write(json.dumps(dcat) + "\n")
        position += spec.records
    (root / "sources.template.yaml").write_text("sources:\n" + "".join(map(_registry_entry, plan)), "utf-8")
    return plan


def registry_text(root: Path, base_url: str) -> str:
    """The source registry of a generated tree, pointing at a server that serves ``root/www``."""
    return (
        (Path(root) / "sources.template.yaml").read_text("utf-8").replace("{base_url}", base_url.rstrip("/"))
    )


def _inventory(root: Path) -> list[tuple[str, str, int]]:
    """(source id, kind, record index) of every record now in the tree, read from the files themselves."""
    found = []
    for path in sorted((root / "www" / "datajson").glob("*/data.json")):
        for record in json.loads(path.read_text("utf-8"))["dataset"]:
            found.append((path.parent.name, "datajson", int(record["identifier"].rsplit("-", 1)[1])))
    for path in sorted((root / "www" / "waf").glob("*/*.xml")):
        found.append((path.parent.name, "waf", int(path.stem.rsplit("-", 1)[1])))
    return found


def _pick_changes(records: list, counts: dict[str, int], rng: random.Random) -> dict[str, list]:
    """Records to delete (at most 10% of any source, well under the mass-deletion guard) and to update."""
    sizes: dict[str, int] = {}
    for source, _kind, _index in records:
        sizes[source] = sizes.get(source, 0) + 1
    order, deleted, per_source = rng.sample(records, len(records)), [], {}
    for record in order:
        if len(deleted) == counts["deleted"]:
            break
        if per_source.get(record[0], 0) + 1 <= sizes[record[0]] // 10:
            deleted.append(record)
            per_source[record[0]] = per_source.get(record[0], 0) + 1
    if len(deleted) < counts["deleted"]:
        raise ValueError("the sources are too small to delete that many records under the guard")
    gone = set(deleted)
    updated = [record for record in order if record not in gone][: counts["updated"]]
    created, next_index = [], {}
    for source, _kind, index in records:
        next_index[source] = max(next_index.get(source, 0), index + 1)
    for _ in range(counts["created"]):
        source, kind, _index = rng.choice(records)
        created.append((source, kind, next_index[source]))
        next_index[source] += 1
    return {"deleted": deleted, "updated": updated, "created": created}


def _apply_datajson(root: Path, source: str, changes: dict, seed: int, day: str) -> None:
    path = root / "www" / "datajson" / source / "data.json"
    datasets = json.loads(path.read_text("utf-8"))["dataset"]
    gone = {index for s, _k, index in changes["deleted"] if s == source}
    touched = {index for s, _k, index in changes["updated"] if s == source}
    kept = []
    for record in datasets:
        index = int(record["identifier"].rsplit("-", 1)[1])
        if index in touched:
            record["modified"] = day
            record["description"] = record.get("description", "") + " Revised."
        if index not in gone:
            kept.append(record)
    kept += [datajson_record(seed, source, index) for s, _k, index in changes["created"] if s == source]
    write_datajson(path, kept)


def _apply_waf(root: Path, source: str, changes: dict, seed: int, day: str) -> None:
    folder, lines_path = root / "www" / "waf" / source, root / "baseline" / f"{source}.jsonl"
    dcat = {
        record["identifier"]: record for record in map(json.loads, lines_path.read_text("utf-8").splitlines())
    }
    for _s, _k, index in (c for c in changes["deleted"] if c[0] == source):
        (folder / f"{source}-{index:07d}.xml").unlink()
        dcat.pop(f"{source}-{index:07d}", None)
    for _s, _k, index in (c for c in changes["updated"] if c[0] == source):
        path = folder / f"{source}-{index:07d}.xml"
        document = path.read_text("utf-8")
        revised = re.sub(
            r"<gmd:dateStamp><gco:Date>[^<]*</gco:Date>",
            f"<gmd:dateStamp><gco:Date>{day}</gco:Date>",
            document,
            count=1,
        )
        path.write_text(revised if revised != document else document + f"<!-- revised {day} -->", "utf-8")
        dcat[path.stem]["modified"] = day
    for _s, _k, index in (c for c in changes["created"] if c[0] == source):
        document, record = iso_record(seed, source, index)
        (folder / f"{source}-{index:07d}.xml").write_text(document, "utf-8")
        dcat[record["identifier"]] = record
    lines_path.write_text("".join(json.dumps(record) + "\n" for record in dcat.values()), "utf-8")


def mutate(
    root: Path, seed: int = 1, updated: float = 0.02, deleted: float = 0.005, created: float = 0.005
) -> dict[str, int]:
    """The "next day" of a generated tree, in place: shares of the records updated, deleted and created."""
    root = Path(root)
    records = _inventory(root)
    counts = {
        "updated": round(len(records) * updated),
        "deleted": round(len(records) * deleted),
        "created": round(len(records) * created),
    }
    changes = _pick_changes(records, counts, random.Random(f"mutate:{seed}"))
    day = f"2026-01-{seed % 28 + 1:02d}"
    touched = {(source, kind) for group in changes.values() for source, kind, _index in group}
    for source, kind in sorted(touched):
        apply = _apply_datajson if kind == "datajson" else _apply_waf
        apply(root, source, changes, seed + 1000, day)
    return counts
