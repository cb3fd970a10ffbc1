"""Where the catalog database's URL comes from, without a password ever standing on a command line.

A command line is visible to every user of the machine (``ps``) and in Glue's job run details, so a
``--db-url`` may name the database but not carry its password. The password comes from the
``HARVEST_DB_URL`` environment variable, a ``~/.pgpass`` file (libpq reads it), or a Secrets
Manager secret given by its ARN (the way the Glue jobs get it).
"""

import json
import os
import re
from urllib.parse import parse_qs, quote, urlsplit

DB_URL_ENVIRONMENT = "HARVEST_DB_URL"
# Every AWS partition: aws, aws-us-gov, aws-cn, aws-iso, aws-iso-b, ...
SECRET_ARN = re.compile(r"^arn:aws(-[a-z]+)*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:.+$")
_KEYWORD_PASSWORD = re.compile(r"(^|\s)password\s*=", re.IGNORECASE)


def is_secret_arn(value: str) -> bool:
    """True for a Secrets Manager secret ARN of any partition."""
    return bool(SECRET_ARN.match(value))


def has_password(db_url: str) -> bool:
    """True when a postgresql:// URL or a libpq keyword string carries a password."""
    if not db_url or is_secret_arn(db_url):
        return False
    if _KEYWORD_PASSWORD.search(db_url):
        return True
    parts = urlsplit(db_url)
    return parts.password is not None or "password" in {key.lower() for key in parse_qs(parts.query)}


def password_refusal(option: str = "--db-url") -> str:
    """The message for a password given on a command line."""
    return (
        f"{option} carries a password, which every user of this machine can read in the process list; "
        f"put the URL in the {DB_URL_ENVIRONMENT} environment variable (or ~/.pgpass), or pass the ARN of a "
        "Secrets Manager secret that holds it"
    )


def configured_db_url(argument: str) -> str:
    """The database to publish into: the (password-free) argument, else HARVEST_DB_URL, else '' (none)."""
    if has_password(argument):
        raise ValueError(password_refusal())
    return argument or os.environ.get(DB_URL_ENVIRONMENT, "")


def secret_string(arn: str) -> str:
    """The SecretString of a Secrets Manager secret, asked of the secret's own region (any partition)."""
    match = SECRET_ARN.match(arn)
    if not match:
        raise ValueError(f"not a Secrets Manager secret ARN: {arn!r}")
    import boto3

    return boto3.client("secretsmanager", region_name=match.group(2)).get_secret_value(SecretId=arn)[
        "SecretString"
    ]


def resolve_db_url(db_url: str) -> str:
    """A postgresql:// URL as given, or the one stored in a Secrets Manager secret (by ARN, any partition).

    The secret's SecretString is the URL itself, or RDS-style JSON (host, port, username, password, dbname).
    """
    if not is_secret_arn(db_url):
        return db_url
    secret = secret_string(db_url).strip()
    if not secret.startswith("{"):
        return secret
    fields = json.loads(secret)
    if "url" in fields:
        return fields["url"]
    credentials = f"{quote(fields['username'], safe='')}:{quote(fields['password'], safe='')}"
    return f"postgresql://{credentials}@{fields['host']}:{fields.get('port', 5432)}/{fields.get('dbname', 'postgres')}"
