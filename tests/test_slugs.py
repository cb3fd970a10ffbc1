"""Slugs: data.gov-style names from titles, stable for published records, unique for new ones."""

from datetime import datetime

from tests.rows import row
from transforms.publish.slugs import BASE_MAX, SLUG_MAX, assign_slugs, slugify
from transforms.schemas import CATALOG_STATE

CHANGES = "source_id string, identifier string, action string, title string"
EARLIER = datetime(2026, 1, 1)


def state_row(identifier, slug, source_id="agency"):
    return row(
        CATALOG_STATE,
        source_id=source_id,
        identifier=identifier,
        content_hash="h",
        dcat_json="{}",
        source_format="dcatus",
        slug=slug,
        first_harvested=EARLIER,
        last_harvested=EARLIER,
        last_changed_run="r0",
    )


def slugs_of(spark, changes, published=()):
    state = spark.createDataFrame(list(published), CATALOG_STATE)
    rows = assign_slugs(spark.createDataFrame(changes, CHANGES), state).collect()
    return {(row.source_id, row.identifier): row.slug for row in rows}


def test_slugify_folds_accents_and_joins_words_with_single_hyphens():
    assert slugify("Água  Quality — São Paulo, 2020!") == "agua-quality-sao-paulo-2020"
    assert slugify("  --Already-a-slug--  ") == "already-a-slug"
    assert slugify("Überfluß") == "uberflu"


def test_slugify_is_never_empty():
    assert slugify("") == "dataset"
    assert slugify(None) == "dataset"
    assert slugify("水质监测") == "dataset"
    assert slugify("!!!") == "dataset"


def test_long_titles_are_cut_at_a_word_boundary_leaving_room_for_a_suffix():
    title = "Annual survey of " + "freshwater fish populations " * 10
    slug = slugify(title)
    assert len(slug) <= BASE_MAX < SLUG_MAX
    assert not slug.endswith("-")
    assert title.lower().replace(" ", "-").startswith(slug + "-")  # whole words only


def test_one_very_long_word_is_cut_hard():
    assert slugify("x" * 500) == "x" * BASE_MAX


def test_published_records_keep_their_slug_even_when_the_title_changed(spark):
    slugs = slugs_of(
        spark,
        [("agency", "a", "update", "A Completely New Title"), ("agency", "b", "delete", None)],
        [state_row("a", "old-title"), state_row("b", "b-slug")],
    )
    assert slugs == {("agency", "a"): "old-title", ("agency", "b"): "b-slug"}


def test_new_record_whose_slug_is_taken_gets_the_next_free_number(spark):
    slugs = slugs_of(
        spark,
        [("agency", "new", "create", "Water Quality")],
        [
            state_row("x", "water-quality"),
            state_row("y", "water-quality-1"),
            state_row("z", "water-quality-3"),
        ],
    )
    assert slugs == {("agency", "new"): "water-quality-4"}


def test_new_records_with_the_same_title_get_distinct_numbered_slugs_in_key_order(spark):
    changes = [
        ("other", "k", "create", "Rain"),
        ("agency", "b", "create", "rain"),
        ("agency", "a", "create", "RAIN!"),
    ]
    assert slugs_of(spark, changes) == {
        ("agency", "a"): "rain",
        ("agency", "b"): "rain-1",
        ("other", "k"): "rain-2",
    }


def test_a_new_title_that_looks_like_a_numbered_slug_does_not_collide(spark):
    changes = [
        ("agency", "a", "create", "Rain"),
        ("agency", "b", "create", "Rain"),
        ("agency", "c", "create", "Rain 1"),  # its own name is rain-1, so the second Rain must not take it
    ]
    slugs = slugs_of(spark, changes, [state_row("old", "rain-1-1")])
    assert slugs[("agency", "c")] == "rain-1"
    assert slugs[("agency", "a")] == "rain"
    assert slugs[("agency", "b")] not in {"rain", "rain-1", "rain-1-1"}
    assert len(set(slugs.values())) == 3


def test_slugs_are_unique_and_the_same_on_every_run(spark):
    titles = ["Rain", "Rain 1", "Rain-2", "rain", "Snow", "", None, "!!!", "Rain 1", "dataset-1"]
    changes = [("agency", f"id-{i}", "create", title) for i, title in enumerate(titles)]
    published = [state_row("p1", "rain"), state_row("p2", "dataset"), state_row("p3", "snow-7")]
    first = slugs_of(spark, changes, published)
    second = slugs_of(spark, list(reversed(changes)), published)
    assert first == second
    every_slug = list(first.values()) + ["rain", "dataset", "snow-7"]
    assert len(every_slug) == len(set(every_slug))
    assert all(0 < len(slug) <= SLUG_MAX for slug in first.values())
