"""Duplicates across sources: one source publishes an identifier, and look-alikes are warned about."""

import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rows import row
from transforms.crosswalk.transform import typed_columns
from transforms.gate.duplicates import (
    ALREADY_PUBLISHED,
    ALSO_IN_RUN,
    _published_match_keys,
    _run_match_keys,
    apply_duplicates,
    check_duplicates,
    find_duplicates,
    publishes_anything,
)
from transforms.registry import Source
from transforms.schemas import CATALOG_STATE, TRANSFORMED, VALIDATED

IDS = ("aaa-held", "alpha", "beta", "delta", "gamma", "zeta")


def dataset(identifier, title="A dataset", **extra) -> str:
    """A DCAT-US 1.1 dataset the non-federal schema accepts."""
    record = {
        "identifier": identifier,
        "title": title,
        "description": "Figures.",
        "keyword": ["figures"],
        "modified": "2024-01-01",
        "accessLevel": "public",
        "publisher": {"name": "Agency"},
        "contactPoint": {"fn": "Desk", "hasEmail": "mailto:desk@agency.gov"},
        **extra,
    }
    return json.dumps(record)


def source(source_id) -> Source:
    """A data.json source of the non-federal schema."""
    return Source(source_id, source_id, "Agency", "https://x.gov", "datajson", "dcatus1.1-non-federal")


def change(source_id, identifier, action="create", **dataset_fields):
    """A TRANSFORMED row as transform writes it: the dataset's JSON and its typed columns."""
    text = None if dataset_fields.pop("invalid", False) else dataset(identifier, **dataset_fields)
    if text is None:
        text = json.dumps({"identifier": identifier, "title": "No description, no contact"})
    return row(
        TRANSFORMED,
        source_id=source_id,
        identifier=identifier,
        action=action,
        dcat_json=text,
        **typed_columns(json.loads(text)),
    )


def published(source_id, identifier, year=2020, **dataset_fields):
    return row(
        CATALOG_STATE,
        source_id=source_id,
        identifier=identifier,
        content_hash="h",
        dcat_json=dataset(identifier, **dataset_fields),
        first_harvested=datetime(year, 1, 1),
    )


def test_first_publisher_keeps_an_identifier_ties_go_to_the_first_valid_source_and_look_alikes_are_warned(
    spark,
):
    ocean = {"title": "Ocean Temperatures", "landingPage": "https://x.gov/ocean"}
    rivers = {
        "title": "Rivers",
        "distribution": [{"downloadURL": "https://x.gov/r.csv", "mediaType": "text/csv"}],
    }
    state = spark.createDataFrame(
        [published("zeta", "X1"), published("alpha", "K1"), published("zeta", "Z2", **ocean)], CATALOG_STATE
    )
    changes = [
        change("alpha", "X1"),  # zeta published it first: refused, though alpha sorts first
        change("alpha", "K1", action="update"),  # its own record
        change("aaa-held", "N1"),  # a held source neither wins nor loses
        change("beta", "N1"),
        change("gamma", "N1"),  # beta and gamma both new to N1: beta wins
        change("alpha", "M1", invalid=True),  # fails the schema, so it cannot win M1
        change("delta", "M1"),
        change("beta", "B2", title="  ocean   temperatures ", landingPage="https://x.gov/ocean"),
        change("delta", "D3", **rivers),
        change("gamma", "G3", **rivers),  # the later source id of two new look-alikes gets the warning
        change("beta", "B4", **ocean),  # also like zeta's Z2
        change("beta", "B5", title="Ocean Temperatures", landingPage="https://x.gov/ocean"),
    ]
    transformed = spark.createDataFrame(changes, TRANSFORMED)
    sources = [source(s) for s in IDS]
    duplicates = find_duplicates(transformed, ["aaa-held"], state, sources)  # aaa-held is held

    assert duplicates.summary["refused"] == [
        {"source_id": "alpha", "owner": "zeta", "rule": "published", "count": 1, "examples": ["X1"]},
        {"source_id": "gamma", "owner": "beta", "rule": "same run", "count": 1, "examples": ["N1"]},
    ]
    assert duplicates.summary["near_duplicates"] == [
        {"source_id": "beta", "other_source_id": "zeta", "count": 3, "examples": ["B2", "B4", "B5"]},
        {"source_id": "gamma", "other_source_id": "delta", "count": 1, "examples": ["G3"]},
    ]

    decisions = {("alpha", "M1"): "reject", ("aaa-held", "N1"): "held"}
    validated = spark.createDataFrame(
        [(*c, decisions.get((c[0], c[1]), "accept")) for c in changes], VALIDATED
    )
    rows = {(r.source_id, r.identifier): r for r in apply_duplicates(validated, duplicates).collect()}
    assert (rows["alpha", "X1"].decision, rows["alpha", "X1"].reasons) == (
        "reject",
        [ALREADY_PUBLISHED % "zeta"],
    )
    assert (rows["gamma", "N1"].decision, rows["gamma", "N1"].reasons) == ("reject", [ALSO_IN_RUN % "beta"])
    for kept in (("alpha", "K1"), ("beta", "N1"), ("delta", "M1"), ("delta", "D3")):
        assert (rows[kept].decision, rows[kept].reasons, rows[kept].warnings) == ("accept", [], [])
    assert rows["aaa-held", "N1"].decision == "held"
    assert rows["beta", "B2"].warnings == [
        'possible duplicate of "Z2" from source "zeta": same title and landingPage'
    ]
    assert rows["gamma", "G3"].warnings == [
        'possible duplicate of "D3" from source "delta": same title and downloadURL'
    ]
    assert rows["beta", "B2"].decision == "accept"


def test_a_run_that_publishes_no_create_or_update_has_nothing_to_check(spark):
    def decided(*rows):
        return spark.createDataFrame(
            [row(VALIDATED, source_id="a", identifier=i, action=a, decision=d) for i, a, d in rows], VALIDATED
        )

    # yesterday's rejects created again and rejected again, a held source's update, unchanged records
    nothing = decided(("r1", "create", "reject"), ("h1", "update", "held"), ("u1", "unchanged", "accept"))
    assert not publishes_anything(nothing)
    assert publishes_anything(decided(("r1", "create", "reject"), ("n1", "create", "accept")))
    assert publishes_anything(decided(("e1", "update", "accept")))


def test_a_run_transform_created_and_updated_nothing_in_is_not_checked_and_starts_no_spark_job(spark):
    state = spark.createDataFrame([published("zeta", "X1")], CATALOG_STATE)
    rows = [change("alpha", "X1", action="unchanged")]
    transformed = spark.createDataFrame(rows, TRANSFORMED)
    validated = spark.createDataFrame([(*r, "accept") for r in rows], VALIDATED)
    sources = [source(s) for s in IDS]
    group = "duplicates-not-checked"
    spark.sparkContext.setJobGroup(group, "a run with no create or update")
    try:
        duplicates = check_duplicates(
            transformed, validated, [], state, sources, {"unchanged": 1, "reject": 0}, None
        )
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert not duplicates.found and duplicates.summary == {"refused": [], "near_duplicates": []}
    assert list(spark.sparkContext.statusTracker().getJobIdsForGroup(group)) == []


def test_a_run_where_fewer_than_two_sources_can_meet_is_not_checked_and_starts_no_spark_job(spark):
    # alpha creates look-alikes of its own records and of the catalog's, all alpha's
    creates = [change("alpha", f"A{n}", title="Same", landingPage="https://x.gov/same") for n in range(3)]
    state = spark.createDataFrame(
        [published("alpha", "P1", title="Same", landingPage="https://x.gov/same")], CATALOG_STATE
    )
    transformed = spark.createDataFrame(creates, TRANSFORMED)
    validated = spark.createDataFrame([(*c, "accept") for c in creates], VALIDATED)
    # what the Spark check would say, had it run
    assert not find_duplicates(transformed, [], state, [source("alpha")]).found
    # the run's one publishing source (another is stopped) and a catalog of its own records only
    for sources, stopped, catalog in (
        ([source("alpha")], [], ["alpha"]),
        ([source("alpha"), source("beta")], ["beta"], []),
    ):
        group = "duplicates-one-source"
        spark.sparkContext.setJobGroup(group, "one source can publish")
        try:
            duplicates = check_duplicates(
                transformed, validated, stopped, state, sources, {"create": 3}, catalog
            )
        finally:
            spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        assert not duplicates.found
        assert list(spark.sparkContext.statusTracker().getJobIdsForGroup(group)) == []
    # a catalog holding another source's records is checked (its look-alike is found)
    other = spark.createDataFrame(
        [published("zeta", "Z1", title="Same", landingPage="https://x.gov/same")], CATALOG_STATE
    )
    assert check_duplicates(
        transformed, validated, [], other, [source("alpha")], {"create": 3}, ["zeta"]
    ).found


def test_what_is_found_in_a_run_that_publishes_no_create_or_update_is_not_applied(spark):
    state = spark.createDataFrame([published("zeta", "X1")], CATALOG_STATE)
    creates = [change("alpha", "X1")]  # zeta published X1 first: the check finds a refusal
    transformed = spark.createDataFrame(creates, TRANSFORMED)
    sources = [source(s) for s in IDS]
    assert find_duplicates(transformed, [], state, sources).found

    # ... but the gate rejected alpha's create anyway: the run publishes nothing, no reason is added
    rejected = spark.createDataFrame([(*c, "reject") for c in creates], VALIDATED)
    duplicates = check_duplicates(transformed, rejected, [], state, sources, {"create": 1}, ["zeta"])
    assert not duplicates.found
    assert [r.reasons for r in apply_duplicates(rejected, duplicates).collect()] == [[]]


URLS = st.sampled_from(["https://x.gov/a", " https://x.gov/a ", "https://x.gov/B.csv", "", "ftp://é.gov/c"])
TITLES = st.sampled_from(["Ocean", "  ocean\t", "OCEAN  Temps", "ocean temps", "", "Données é"])
DISTRIBUTION = st.lists(
    st.fixed_dictionaries(
        {}, optional={"downloadURL": URLS, "accessURL": URLS, "mediaType": st.just("text/csv")}
    ),
    max_size=3,
)
DATASETS = st.fixed_dictionaries(
    {"identifier": st.sampled_from(["d1", "d2", "d3"])},
    optional={"title": TITLES, "landingPage": URLS, "distribution": DISTRIBUTION},
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(DATASETS, min_size=1, max_size=12))
def test_a_record_of_this_run_is_matched_as_its_published_copy_would_be(spark, records):
    """This run's records are matched on the columns transform wrote, the catalog's on their parsed JSON:
    any dataset gives the same look-alike keys either way, so a record meets its own published copy."""
    texts = [json.dumps(record) for record in records]
    run = spark.createDataFrame(
        [
            row(
                TRANSFORMED,
                source_id="a",
                identifier=f"r{i}",
                action="create",
                dcat_json=text,
                **typed_columns(json.loads(text)),
            )
            for i, text in enumerate(texts)
        ],
        TRANSFORMED,
    )
    catalog = spark.createDataFrame(
        [
            row(CATALOG_STATE, source_id="a", identifier=f"r{i}", content_hash="h", dcat_json=text)
            for i, text in enumerate(texts)
        ],
        CATALOG_STATE,
    )
    assert sorted(map(tuple, _run_match_keys(run).collect())) == sorted(
        map(tuple, _published_match_keys(catalog).collect())
    )
