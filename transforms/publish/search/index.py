"""Sending ``_bulk`` bodies to data.gov's OpenSearch index, with opensearch-py.

The index itself (its mapping and settings) is the catalog's: it creates the index when it starts,
so this only sends documents into it or takes them out.

Where the credentials come from, never from a command line (``ps`` and Glue's run details show it):

* the ARN of a Secrets Manager secret whose SecretString is JSON: ``username`` and ``password``
  (basic authentication, as on a self-managed cluster), or ``access_key`` and ``secret_key`` (an
  IAM user's keys, signed with SigV4 as data.gov's catalog does; ``region`` when the host does not
  say it);
* none: an Amazon OpenSearch Service domain (``*.es.amazonaws.com``) is signed with the
  credentials boto3 finds (a Glue job's role); any other host is asked without authentication;
* or the URL in the ``HARVEST_OPENSEARCH_URL`` environment variable, which may carry
  ``user:password@``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from transforms import lake
from transforms.publish.db_config import is_secret_arn, secret_string

if TYPE_CHECKING:  # opensearch-py is imported only when something is sent
    from opensearchpy import OpenSearch

OPENSEARCH_URL_ENVIRONMENT = "HARVEST_OPENSEARCH_URL"
AWS_DOMAIN = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.es\.amazonaws\.com$")
TIMEOUT_S = 120  # one 5 MiB body; a slow cluster answers in seconds, two minutes is a hang


class SearchIndexError(RuntimeError):
    """OpenSearch refused some of the actions of a ``_bulk`` request."""


def configured_opensearch_url(argument: str) -> str:
    """The OpenSearch URL: the argument (which may not carry a password), else $HARVEST_OPENSEARCH_URL, else ''."""
    if urlsplit(argument).password is not None:
        raise ValueError(
            f"--opensearch-url carries a password, which every user of this machine can read in the process "
            f"list; put the URL in the {OPENSEARCH_URL_ENVIRONMENT} environment variable, or the credentials "
            "in a Secrets Manager secret (--opensearch-secret)"
        )
    return argument or os.environ.get(OPENSEARCH_URL_ENVIRONMENT, "")


def _secret_fields(secret_arn: str) -> dict[str, str]:
    if not secret_arn:
        return {}
    if not is_secret_arn(secret_arn):
        raise ValueError(f"not a Secrets Manager secret ARN: {secret_arn!r}")
    return json.loads(secret_string(secret_arn))


def opensearch_client(url: str, secret_arn: str = "") -> OpenSearch:
    """An opensearch-py client for the cluster at ``url``, authenticated as the module's docstring says."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an OpenSearch URL (http:// or https://): {url!r}")
    fields = _secret_fields(secret_arn)
    auth: Any = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    elif "username" in fields:
        auth = (fields["username"], fields["password"])
    elif "access_key" in fields or AWS_DOMAIN.search(parts.hostname):
        from botocore.credentials import Credentials

        region_match = AWS_DOMAIN.search(parts.hostname)
        region = fields.get("region") or (region_match.group(1) if region_match else None)
        if not region:
            raise ValueError(f"the region of {parts.hostname} is unknown: put 'region' in the secret")
        if "access_key" in fields:
            credentials = Credentials(fields["access_key"], fields["secret_key"])
        else:
            import boto3

            credentials = boto3.Session().get_credentials()
        auth = AWSV4SignerAuth(credentials, region, "es")
    address = urlunsplit(
        (parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", "")
    )
    return OpenSearch(
        hosts=[address],
        http_auth=auth,
        use_ssl=parts.scheme == "https",
        verify_certs=parts.scheme == "https",
        connection_class=RequestsHttpConnection,
        timeout=TIMEOUT_S,
        max_retries=3,
        retry_on_timeout=True,
    )


def _refusals(response: dict) -> list[str]:
    """What OpenSearch refused in a ``_bulk`` answer; a delete of a document it does not hold is no refusal."""
    refused = []
    for item in response.get("items", []):
        (operation, result), *_ = item.items()
        status = result.get("status", 200)
        if status < 300 or (operation == "delete" and status == 404):
            continue
        error = result.get("error") or {}
        reason = error.get("reason", error) if isinstance(error, dict) else error
        refused.append(f"{operation} {result.get('_id')}: {status} {reason}")
    return refused


def send_bulk_bodies(client: OpenSearch, bodies: Iterable[str]) -> int:
    """Send each ``_bulk`` body as one request; the number of actions sent, or SearchIndexError."""
    sent = 0
    for body in bodies:
        response = client.bulk(body=body)
        refused = _refusals(response)
        if refused:
            raise SearchIndexError(
                f"OpenSearch refused {len(refused)} of {len(response.get('items', []))} actions: "
                + "; ".join(refused[:5])
            )
        sent += len(response.get("items", []))
    return sent


def send_bulk_files(client: OpenSearch, uris: Iterable[str]) -> int:
    """Send the ``_bulk`` files (paths or s3:// URIs, as written by write_bulk_files), in order."""
    return send_bulk_bodies(client, (lake.read_text(uri) or "" for uri in uris))
