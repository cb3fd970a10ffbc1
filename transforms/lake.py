"""Paths and small files in the lake, which is a local folder or an s3:// URI.

Spark reads and writes the tables; this module handles the few small objects around them
(the catalog pointer, report.json, Data Docs) the same way on both kinds of root.
"""

import posixpath
import shutil
from pathlib import Path
from urllib.parse import urlsplit


def is_s3(uri: str) -> bool:
    """True for an s3:// (or s3a://) URI."""
    return uri.startswith(("s3://", "s3a://"))


def join(root: str, *parts: str) -> str:
    """Join path parts onto a lake root, keeping the URI scheme."""
    if is_s3(root):
        return posixpath.join(root.rstrip("/"), *parts)
    return str(Path(root, *parts))


def run_path(lake: str, run_id: str, *parts: str) -> str:
    """<lake>/runs/<run_id>/<parts...>: where each stage of a run writes."""
    return join(lake, "runs", run_id, *parts)


def _bucket_key(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def _s3():
    import boto3

    return boto3.client("s3")


def write_text(uri: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
    """Write a small text object; on a folder the write is atomic (temp file, then rename)."""
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


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


def list_folders(uri: str) -> list[str]:
    """The names of the folders directly under a lake location (sorted); [] when it does not exist."""
    if not is_s3(uri):
        path = Path(uri)
        return sorted(child.name for child in path.iterdir() if child.is_dir()) if path.is_dir() else []
    bucket, prefix = _bucket_key(uri.rstrip("/") + "/")
    names = []
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        names += [entry["Prefix"][len(prefix) :].rstrip("/") for entry in page.get("CommonPrefixes", [])]
    return sorted(names)


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
