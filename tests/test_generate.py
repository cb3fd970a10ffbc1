"""The benchmark generator: deterministic, the requested size and invalid share, exact next-day mutations.

Counts are taken from the generated files themselves (JSON Schema, lxml), never from the generator's plan.
"""

import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from benchmarks.generate import generate, mutate, registry_text
from transforms.registry import parse_registry

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = (
    REPO.parent / "shared" / "realdata" / "schema" / "datagov-harvester-dcatus1.1" / "federal_dataset.json",
    REPO / "transforms" / "dcatus_schema" / "dataset-federal.json",
)
GMD = "{http://www.isotc211.org/2005/gmd}"


def _validator() -> Draft202012Validator:
    schema = next((path for path in SCHEMAS if path.is_file()), None)
    if schema is None:
        pytest.skip(
            "no DCAT-US 1.1 dataset schema: neither ../shared/realdata nor transforms/gate/dcatus_schema is there"
        )
    return Draft202012Validator(
        json.loads(schema.read_text("utf-8")), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _records(root: Path) -> dict[tuple[str, str], str]:
    """(source, identifier) -> content of every record in the tree, read from the files."""
    found = {}
    for path in (root / "www" / "datajson").glob("*/data.json"):
        for record in json.loads(path.read_text("utf-8"))["dataset"]:
            found[(path.parent.name, record["identifier"])] = json.dumps(record, sort_keys=True)
    for path in (root / "www" / "waf").glob("*/*.xml"):
        found[(path.parent.name, path.name)] = path.read_text("utf-8")
    return found


def _xml_is_usable(path: Path) -> bool:
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError:
        return False
    title = root.find(f".//{GMD}citation//{GMD}title/")
    return root.tag.endswith("}MI_Metadata") and title is not None and bool((title.text or "").strip())


def test_generator_is_deterministic_for_a_seed(tmp_path):
    generate(tmp_path / "a", 120, seed=7)
    generate(tmp_path / "b", 120, seed=7)
    generate(tmp_path / "c", 120, seed=8)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "c")


def test_generated_tree_has_requested_size_mix_and_invalid_share(tmp_path):
    validator = _validator()
    generate(tmp_path, 400, sources=6, seed=3, invalid_share=0.05)
    datasets = [
        d
        for p in (tmp_path / "www" / "datajson").glob("*/data.json")
        for d in json.loads(p.read_text("utf-8"))["dataset"]
    ]
    xml_files = sorted((tmp_path / "www" / "waf").glob("*/*.xml"))
    assert len(datasets) + len(xml_files) == 400
    assert len(xml_files) == 300  # three quarters geospatial XML, by records
    invalid_json = sum(1 for d in datasets if not validator.is_valid(d))
    invalid_xml = sum(1 for p in xml_files if not _xml_is_usable(p))
    assert invalid_json + invalid_xml == 20
    baseline = [
        json.loads(line)
        for p in (tmp_path / "baseline").glob("*.jsonl")
        for line in p.read_text().splitlines()
    ]
    assert len(baseline) == len(xml_files)
    assert sum(1 for d in baseline if not validator.is_valid(d)) == invalid_xml


def test_registry_template_is_a_valid_registry(tmp_path):
    generate(tmp_path, 50, sources=4, seed=1)
    sources = parse_registry(registry_text(tmp_path, "http://127.0.0.1:8123/"))
    assert {s.type for s in sources} == {"datajson", "waf"}
    assert all(s.url.startswith("http://127.0.0.1:8123/") and s.allow_private_network for s in sources)


def test_next_day_mutation_changes_exactly_the_requested_counts(tmp_path):
    generate(tmp_path, 1000, sources=5, seed=2)
    before = _records(tmp_path)
    mutate(tmp_path, seed=1, updated=0.02, deleted=0.005, created=0.005)
    after = _records(tmp_path)
    updated = sum(1 for key in before.keys() & after.keys() if before[key] != after[key])
    assert (updated, len(before.keys() - after.keys()), len(after.keys() - before.keys())) == (20, 5, 5)
    baseline_ids = {
        json.loads(line)["identifier"]
        for p in (tmp_path / "baseline").glob("*.jsonl")
        for line in p.read_text().splitlines()
    }
    assert baseline_ids == {name.removesuffix(".xml") for (_source, name) in after if name.endswith(".xml")}


def test_xml_share_zero_makes_data_json_sources_only(tmp_path):
    plan = generate(tmp_path, 300, sources=4, seed=4, xml_share=0)
    datasets = [
        d
        for p in (tmp_path / "www" / "datajson").glob("*/data.json")
        for d in json.loads(p.read_text("utf-8"))["dataset"]
    ]
    assert len(datasets) == 300
    assert len(list((tmp_path / "www" / "datajson").glob("*/data.json"))) == len(plan) == 4
    assert not (tmp_path / "www" / "waf").exists()
    assert {s.type for s in parse_registry(registry_text(tmp_path, "http://127.0.0.1:8123/"))} == {"datajson"}
