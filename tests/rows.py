"""Rows for test frames, built by field name: ``row(CHANGES, source_id="a", action="create")``.

Every field not named is null (an array field is empty), so a column added to a schema in
``transforms.schemas`` never breaks a test that does not care about it.
"""

from pyspark.sql.types import ArrayType, StructType

from transforms.schemas import OUTCOMES


def row(table: StructType, /, **values) -> tuple:
    """A tuple in ``table``'s field order; unknown names are an error, so a typo cannot pass silently."""
    unknown = set(values) - set(table.fieldNames())
    if unknown:
        raise KeyError(f"not fields of the schema: {sorted(unknown)}")
    return tuple(
        values.get(field.name, [] if isinstance(field.dataType, ArrayType) else None)
        for field in table.fields
    )


def outcome_row(source_id, identifier, outcome, reasons=(), warnings=(), action="create") -> tuple:
    """A row of OUTCOMES (a record's outcome in a run) with no record URL."""
    return row(
        OUTCOMES,
        source_id=source_id,
        identifier=identifier,
        action=action,
        outcome=outcome,
        reasons=list(reasons),
        warnings=list(warnings),
    )


def valid_dataset(**fields) -> dict:
    """A small DCAT-US 1.1 dataset that passes the schema; keyword arguments add or replace fields."""
    dataset = {
        "title": "Water quality",
        "description": "Samples.",
        "keyword": ["water"],
        "modified": "2024-01-02",
        "publisher": {"name": "Agency"},
        "contactPoint": {"fn": "A", "hasEmail": "mailto:a@x.gov"},
        "accessLevel": "public",
    }
    return {**dataset, **fields}
