"""Runs inside data.gov's catalog app (Python 3.12, .venv-catalog), started by tests/catalog_app.py.

    catalog_driver.py OUT documents       every dataset's index document, by the catalog's DatasetDocument
    catalog_driver.py OUT mapping         the index mapping the catalog creates
    catalog_driver.py OUT documents-of IN the documents of the rows in the JSON file IN (no database)
    catalog_driver.py OUT get PATH...     GET each path with the app's test client

The working directory is the catalog's checkout (so ``app`` imports); DATABASE_URI and
FLASK_SECRET_KEY are set by the caller. The answer is JSON written to the file OUT, not to
stdout, where the app's own logging may print.
"""

import json
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace


def documents(app) -> list[dict]:
    """Every dataset row's document, as the catalog's indexer makes it, in id order."""
    from app.models import Dataset, db
    from app.search.documents import DatasetDocument

    with app.app_context():
        rows = db.session.scalars(db.select(Dataset).order_by(Dataset.id))
        return [DatasetDocument(row).dataset_to_document() for row in rows]


def documents_of(rows_file: str) -> list[dict]:
    """The documents of rows given as JSON: [{"dataset", "organization", "harvest_record"}, ...].

    A row the catalog's indexer fails on gets {"error": ...} in its place.

    DatasetDocument only reads attributes, so each row stands in for an ORM object: the dataset's
    columns, its organization's to_dict() (the catalog model's columns) and its record.
    """
    from app.models import Organization
    from app.search.documents import DatasetDocument

    documents = []
    for row in json.loads(Path(rows_file).read_text(encoding="utf-8")):
        dataset = dict(row["dataset"])
        if dataset.get("last_harvested_date"):
            dataset["last_harvested_date"] = datetime.fromisoformat(dataset["last_harvested_date"])
        organization = row["organization"]
        dataset["organization"] = None
        if organization:
            columns = {
                column.name: organization.get(column.name) for column in Organization.__table__.columns
            }
            dataset["organization"] = SimpleNamespace(to_dict=lambda columns=columns: columns)
        record = row["harvest_record"]
        dataset["harvest_record"] = SimpleNamespace(**record) if record is not None else None
        try:
            documents.append(DatasetDocument(SimpleNamespace(**dataset)).dataset_to_document())
        except Exception as error:  # noqa: BLE001 - a row the catalog cannot index is an answer too
            documents.append({"error": f"{type(error).__name__}: {error}"})
    return documents


def get(app, paths: list[str]) -> list[dict]:
    """Status, content type, Location and body text of a GET of each path."""
    client = app.test_client()
    answers = []
    for path in paths:
        response = client.get(path)
        answers.append(
            {
                "path": path,
                "status": response.status_code,
                "content_type": response.content_type,
                "location": response.headers.get("Location"),
                "body": response.get_data(as_text=True),
            }
        )
    return answers


def main() -> None:
    out, command, *arguments = sys.argv[1:]
    sys.path.insert(0, str(Path.cwd()))
    from app import create_app

    app = create_app()
    if command == "mapping":
        from app.search.mappings import MAPPINGS

        answer = MAPPINGS
    elif command == "documents-of":
        answer = documents_of(arguments[0])
    else:
        answer = documents(app) if command == "documents" else get(app, arguments)
    Path(out).write_text(json.dumps(answer), encoding="utf-8")


if __name__ == "__main__":
    main()
