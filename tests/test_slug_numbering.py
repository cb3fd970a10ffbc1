"""Slug numbering against a plain reference of the rule in transforms.publish.slugs' docstring."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_slugs import slugs_of, state_row
from transforms.publish.slugs import slugify

TITLES = [
    "Rain",
    "rain!",
    "Rain 1",
    "Rain-2",
    "rain 0",
    "Rain 1 1",
    "Snow",
    "Snow 7",
    "",
    None,
    "!!!",
    "Dataset 1",
]
PUBLISHED = [
    "rain",
    "rain-1",
    "rain-3",
    "rain-1-1",
    "rain-01",
    "snow-7",
    "snow",
    "dataset",
    "dataset-2",
    "hail-9",
]
KEYS = [(source, f"id-{n}") for source in ("agency", "other") for n in range(8)]


def reference(changes, published):
    """key -> slug, straight from the rule: published keys keep their slug; new records share a base
    and are ranked by key; the first gets the bare base when it is free, the others numbers above
    the highest taken one (a published <base>-<n>, or a new record's own base that looks like one)."""
    published_slug = {key: slug for key, slug in published}
    taken = {}
    for _, slug in published:
        taken.setdefault(slug, set()).add(0)
        if match := re.fullmatch(r"(.+)-([0-9]{1,9})", slug):
            taken.setdefault(match[1], set()).add(int(match[2]))
    base_of = {key: slugify(title) for key, title in changes.items() if key not in published_slug}
    for base in base_of.values():
        if (match := re.fullmatch(r"(.+)-([0-9]{1,9})", base)) and int(match[2]) > 0:
            taken.setdefault(match[1], set()).add(int(match[2]))
    slugs = {key: published_slug[key] for key in changes if key in published_slug}
    for base in set(base_of.values()):
        numbers = taken.get(base, set())
        highest = max(numbers, default=0)
        for rank, key in enumerate(sorted(key for key in base_of if base_of[key] == base)):
            if 0 not in numbers:
                number = 0 if rank == 0 else highest + rank
            else:
                number = highest + rank + 1
            slugs[key] = base if number == 0 else f"{base}-{number}"
    return slugs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TITLES), max_size=12),
    published=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(PUBLISHED), max_size=6),
)
def test_numbering_follows_the_rule_for_any_titles_and_taken_names(spark, changes, published):
    # A published slug belongs to one record: the catalog never holds a slug twice.
    published = list({slug: key for key, slug in published.items()}.items())
    published = [(key, slug) for slug, key in published]
    rows = [(source, identifier, "create", title) for (source, identifier), title in changes.items()]
    state = [state_row(identifier, slug, source_id=source) for (source, identifier), slug in published]
    slugs = slugs_of(spark, rows, state)
    assert slugs == reference(changes, published)
    new = [slug for key, slug in slugs.items() if key not in dict(published)]
    assert len(new) == len(set(new))
    assert not set(new) & {slug for _, slug in published}
