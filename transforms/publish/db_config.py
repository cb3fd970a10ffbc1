"""Where the catalog database's URL comes from, without a password ever standing on a command line.

A command line is visible to every user of the machine (``ps``) and in Glue's job run details, so a
``--db-url`` may name the database but not carry its password. The password comes from the
``HARVEST_DB_URL`` environment variable, a ``~/.pgpass`` file (libpq reads it), or a Secrets
Manager secret given by its ARN (the way the Glue jobs get it).

A URL never leaves the process either: libpq repeats a connection string it cannot read in its error
message, so a URL is checked for its scheme before use (``checked_db_url``, which never echoes it),
and a connection error is told by its class and the database's host, port and name alone
(``connection_failure``).
"""

import json
import os
import re
from urllib.parse import parse_qsl, quote

DB_URL_ENVIRONMENT = "HARVEST_DB_URL"
# Every AWS partition: aws, aws-us-gov, aws-cn, aws-iso, aws-iso-b, ...
SECRET_ARN = re.compile(r"^arn:aws(-[a-z]+)*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:.+$")
# The schemes libpq reads as a URL (case-sensitive, as libpq compares them).
URL_SCHEMES = ("postgresql://", "postgres://")
# The connection parameters that hold a secret: the password, and the one that unlocks an SSL key.
SECRET_PARAMETERS = ("password", "sslpassword")
_KEYWORD_SECRET = re.compile(r"(^|\s)(ssl)?password\s*=", re.IGNORECASE)
# What precedes a URL's user information: a scheme, also a mistyped one (postgresql//, postgresql:/, http://).
_SCHEME_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*:?/+|postgres(ql)?:)", re.IGNORECASE)
# host:port ahead of a path (an '@' later in the path or the query is then no user information).
_HOST_PORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(:[0-9]{0,5})?")  # a port has at most 5 digits
UNREADABLE_TARGET = "(its URL cannot be read)"
# libpq's words for why a connection failed -> what the message says; the text itself is never repeated.
CONNECTION_PROBLEMS = (
    ("password authentication failed", "password authentication failed"),
    ("no password supplied", "the server asks for a password and none was given"),
    ("does not exist", "the database or the user does not exist"),
    ("connection refused", "connection refused"),
    ("timeout expired", "timed out"),
    ("could not translate host name", "host name not found"),
    ("failed to resolve host", "host name not found"),
    ("no pg_hba.conf entry", "the server does not accept this client (pg_hba.conf)"),
    ("too many clients", "the server has too many connections"),
)


class DatabaseUrlError(ValueError):
    """A catalog database URL that cannot be used; the message never repeats it (it may hold a password)."""


def is_secret_arn(value: str) -> bool:
    """True for a Secrets Manager secret ARN of any partition."""
    return bool(SECRET_ARN.match(value))


def has_password(db_url: str) -> bool:
    """True when a database URL or libpq keyword string carries a secret, in any form libpq reads.

    The forms: a URL's user information (``user:secret@``, also behind a mistyped scheme such as
    ``postgresql//``), a URL query's ``password`` or ``sslpassword``, and a keyword string's
    ``password=`` or ``sslpassword=``. When in doubt it says yes: a false alarm costs a refusal, a
    miss puts a password in the process list.
    """
    if not db_url or is_secret_arn(db_url):
        return False
    if _KEYWORD_SECRET.search(db_url):
        return True
    query = db_url.partition("?")[2]
    if any(key.strip().lower() in SECRET_PARAMETERS for key, _ in parse_qsl(query, keep_blank_values=True)):
        return True
    return _userinfo_has_password(db_url)


def _userinfo_has_password(db_url: str) -> bool:
    """True when the URL's user information (before the first '@') has a ':' (libpq: user:password)."""
    rest = _SCHEME_PREFIX.sub("", db_url, count=1)
    userinfo, at, _ = rest.partition("@")
    if not at:
        return False
    head = re.split(r"[/?]", userinfo, maxsplit=1)[0]
    if ":" not in head:
        return False
    # "host:5432/db?application_name=a@b": a port before the path, and the '@' is the path's or the query's
    return not (head != userinfo and _HOST_PORT.fullmatch(head))


def password_refusal(option: str = "--db-url") -> str:
    """The message for a password given on a command line."""
    return (
        f"{option} carries a password, which every user of this machine can read in the process list; "
        f"put the URL in the {DB_URL_ENVIRONMENT} environment variable (or ~/.pgpass), or pass the ARN of a "
        "Secrets Manager secret that holds it"
    )


def checked_db_url(db_url: str) -> str:
    """The URL, when it is one libpq reads as a URL (postgresql:// or postgres://) or a secret's ARN.

    Anything else (a mistyped scheme, a keyword string) is refused with DatabaseUrlError, whose
    message does not repeat the value: libpq's own error would, password and all.
    """
    if db_url.startswith(URL_SCHEMES) or is_secret_arn(db_url):
        return db_url
    raise DatabaseUrlError(
        "the catalog database URL must start with postgresql:// or postgres:// (or be the ARN of a Secrets "
        "Manager secret); the value given does not (it is not repeated here: it may hold a password)"
    )


def configured_db_url(argument: str) -> str:
    """The database to publish into: the (password-free) argument, else HARVEST_DB_URL, else '' (none).

    DatabaseUrlError (a ValueError) for a password on the command line or a URL that is not one.
    """
    if has_password(argument):
        raise DatabaseUrlError(password_refusal())
    db_url = argument or os.environ.get(DB_URL_ENVIRONMENT, "")
    return checked_db_url(db_url) if db_url else ""


def database_target(db_url: str) -> str:
    """The database a URL names, for messages: ``host:port/dbname``, never its user, password or options.

    Read with libpq's own parser, so the parts are the ones libpq connects to. A URL that has a
    password libpq did not find where a password goes (``user:pass/word@host``: libpq reads a
    host, a port and a database name out of it) shows nothing: its parts may be pieces of the password.
    """
    if not db_url.startswith(URL_SCHEMES):
        return UNREADABLE_TARGET
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        fields = conninfo_to_dict(db_url)
    except Error:
        return UNREADABLE_TARGET
    if has_password(db_url) and not set(SECRET_PARAMETERS) & set(fields):
        return UNREADABLE_TARGET
    host = str(fields.get("host") or fields.get("hostaddr") or "local socket")
    target = f"{host}:{fields.get('port') or 5432}/{fields.get('dbname') or '(default database)'}"
    return "".join(ch if ch.isprintable() else "?" for ch in target)[:200]


def connection_failure(db_url: str, error: BaseException) -> str:
    """What a failed connection says: the database (``database_target``), libpq's reason in our words, the
    error class. libpq's own text is never repeated: it may hold the connection string."""
    text = str(error).lower()
    reason = next((said for found, said in CONNECTION_PROBLEMS if found in text), "cannot connect")
    return f"catalog database {database_target(db_url)}: {reason} ({type(error).__name__})"


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

    DatabaseUrlError when either is not a postgresql:// or postgres:// URL; "" (no database) stays "".

    The secret's SecretString is the URL itself, or RDS-style JSON (host, port, username, password, dbname).
    """
    if not is_secret_arn(db_url):
        return checked_db_url(db_url) if db_url else ""  # "": no catalog database
    secret = secret_string(db_url).strip()
    if not secret.startswith("{"):
        return checked_db_url(secret)
    fields = _secret_fields(secret)
    if "url" in fields:
        return checked_db_url(fields["url"])
    credentials = f"{quote(str(fields['username']), safe='')}:{quote(str(fields['password']), safe='')}"
    return f"postgresql://{credentials}@{fields['host']}:{fields.get('port', 5432)}/{fields.get('dbname', 'postgres')}"


def _secret_fields(secret: str) -> dict:
    """A JSON secret's fields, or DatabaseUrlError naming what is missing (never a value: it may be a password).

    RDS's own managed secret holds only username and password: it needs host (and dbname) added, or a
    ``url``, before the harvester can use it (docs/AWS.md, the catalog database).
    """
    try:
        fields = json.loads(secret)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise DatabaseUrlError(
            "the database secret is neither a postgresql:// URL nor a JSON object"
        ) from None
    if isinstance(fields.get("url"), str):
        return fields
    missing = [
        name for name in ("host", "username", "password") if not isinstance(fields.get(name), str | int)
    ]
    if missing:
        raise DatabaseUrlError(
            f"the database secret has no {', '.join(missing)}: give it a url, or host, username and password"
        )
    return fields
