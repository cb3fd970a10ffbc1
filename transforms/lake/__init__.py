"""The lake: a local folder or an s3:// URI, the floor every stage and command stands on.

This module holds its paths and small files; the package's modules hold the lake's state:
``lock`` (one run at a time), ``manifest`` (what a run is pinned to), ``catalog_state`` (the
published versions and the ``CURRENT`` pointer), ``harvest_times`` (when each record was last seen),
``progress`` (which stages of a run finished), ``run_history`` (each source's runs) and
``catalog_history`` (what operators did to the catalog).

Spark reads and writes the tables; this module handles the few small objects around them
(the catalog pointer, the run manifest, the lake lock, report.json, Data Docs) the same way on
both kinds of root. Every path that holds a run id is built by :func:`run_path`, which refuses a
run id that could climb out of the lake.
"""

import os
import posixpath
import re
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

# Letters, digits, '_' and '-': Glue's WORKFLOW_RUN_ID (wr_<hex>) and our own time-ordered ids fit,
# while '..', '/', '\', ':' (an s3:// prefix, an absolute path) and '.' (used by version ids) cannot.
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class InvalidRunId(ValueError):
    """A run id that could name a path outside the run's own folder."""


def check_run_id(run_id: str) -> str:
    """The run id itself, or InvalidRunId saying what a run id may hold."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise InvalidRunId(
            f"run id {run_id!r} is not allowed: use 1 to 128 letters, digits, '_' or '-', starting with a "
            "letter or digit (no '.', '/', ':' or spaces, so a run id can never name a path outside its run)"
        )
    return run_id


def is_s3(uri: str) -> bool:
    """True for an s3:// (or s3a://) URI."""
    return uri.startswith(("s3://", "s3a://"))


def join(root: str, *parts: str) -> str:
    """Join path parts onto a lake root, keeping the URI scheme."""
    if is_s3(root):
        return posixpath.join(root.rstrip("/"), *parts)
    return str(Path(root, *parts))


def run_path(lake: str, run_id: str, *parts: str) -> str:
    """<lake>/runs/<run_id>/<parts...>: where each stage of a run writes (the run id is checked)."""
    return join(lake, "runs", check_run_id(run_id), *parts)


def duplicates_uri(lake_root: str, run_id: str) -> str:
    """Where validate leaves the run's duplicates summary for the report."""
    return run_path(lake_root, run_id, "validate", "duplicates.json")


def run_ids(lake: str) -> list[str]:
    """The runs of a lake: the folders under ``<lake>/runs`` named as a run id, sorted by name.

    Anything else there (a stray folder, a link, history.json) is not a run and is skipped.
    """
    return [name for name in list_folders(join(lake, "runs")) if RUN_ID_PATTERN.match(name)]


def _bucket_key(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def _s3():
    import boto3

    return boto3.client("s3")


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable: the folder entry is what a crash would otherwise lose."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_text(uri: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
    """Write a small text object atomically: one PUT on S3; on a folder a temp file, fsync, then rename.

    The temp name is unique per call, so two writers never share (or truncate) one temp file.
    """
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def create_exclusive(uri: str, text: str, content_type: str = "application/json") -> bool:
    """Create a small object only if it does not exist yet; False when it already does.

    On a folder: O_CREAT|O_EXCL. On S3: a conditional PUT (If-None-Match: *). boto3 1.34 (Glue 5.0's)
    has no IfNoneMatch parameter on put_object, so the header is added to that one request through
    botocore's documented event hooks; S3 answers 412 Precondition Failed when the key exists.
    """
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = _bucket_key(uri)
        client = _s3()

        def if_none_match(request, **_):
            request.headers["If-None-Match"] = "*"

        client.meta.events.register_first("before-sign.s3.PutObject", if_none_match)
        try:
            client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 412 or error.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return False
            raise
        return True
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_folder(path.parent)
    return True


def read_text(uri: str) -> str | None:
    """The text of a small object, or None when it does not exist."""
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        client = _s3()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except client.exceptions.NoSuchKey:
            return None
    path = Path(uri)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def delete(uri: str) -> None:
    """Remove a small object (nothing happens when it is absent)."""
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        _s3().delete_object(Bucket=bucket, Key=key)
        return
    Path(uri).unlink(missing_ok=True)


def folder_exists(uri: str) -> bool:
    """True when anything at all lies under a folder (S3: any key under the prefix)."""
    if is_s3(uri):
        bucket, prefix = _bucket_key(uri)
        listing = _s3().list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/", MaxKeys=1)
        return listing.get("KeyCount", 0) > 0
    return Path(uri).exists()


def list_folders(uri: str) -> list[str]:
    """Names of the sub-folders directly under a folder, sorted.

    A symbolic link is never listed, even to a folder: the lake's entries are its own folders, so
    nothing that walks them (``harvest prune`` above all) follows a link out of the lake.
    """
    if is_s3(uri):
        bucket, prefix = _bucket_key(uri)
        pages = _s3().get_paginator("list_objects_v2")
        names = []
        for page in pages.paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/", Delimiter="/"):
            names += [
                entry["Prefix"].rstrip("/").rsplit("/", 1)[-1] for entry in page.get("CommonPrefixes", [])
            ]
        return sorted(names)
    folder = Path(uri)
    if not folder.is_dir():
        return []
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir() and not entry.is_symlink())


def upload_folder(local_dir: str | Path, uri: str) -> None:
    """Copy a local folder (Data Docs, reports) to a lake location, replacing what was there."""
    local_dir = Path(local_dir)
    if not is_s3(uri):
        shutil.rmtree(uri, ignore_errors=True)
        shutil.copytree(local_dir, uri)
        return
    bucket, prefix = _bucket_key(uri)
    client = _s3()
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        client.upload_file(str(path), bucket, posixpath.join(prefix, path.relative_to(local_dir).as_posix()))


def spark_uri(uri: str) -> str:
    """The URI Spark reads: s3:// stays for Glue (EMRFS); local folders become absolute paths."""
    return uri if is_s3(uri) else str(Path(uri).resolve())


def remove_tree(uri: str) -> None:
    """Remove a folder (or every object under an S3 prefix); nothing happens when it does not exist."""
    if not is_s3(uri):
        if Path(uri).is_dir():
            shutil.rmtree(uri)
        return
    bucket, prefix = _bucket_key(uri.rstrip("/") + "/")
    client = _s3()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
        if keys:  # a listing page holds at most 1,000 keys: one delete_objects call each
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
