"""`harvest clear SOURCE`: withdraw every record a source publishes, through a normal run.

The run harvests only that source, reads nothing of it and reports it complete and empty
(transforms.lake.manifest, ``clear``), so compare marks each of its published records deleted, and
validate, load, the report, the catalog database and the search index treat those deletes as any
other. The mass-deletion guard would hold them; the confirmation asked here is the same decision as
``--force``, so the run is forced. This is how a source is retired: clear it, then remove it from the
registry (removal is refused while it still publishes records), or keep it with ``enabled: false``.
"""

from harvest_cli import terminal
from harvest_cli.exit_codes import FAILED, OK
from harvest_cli.lake_commands import confirmed
from harvest_cli.preflight import checked_registry, existing_lake
from harvest_cli.run_command import run_harvest
from transforms.lake.catalog_state import current_version, published_sources


def clear_source(
    sources: str,
    lake_value: str,
    source_id: str,
    db_url: str = "",
    yes: bool = False,
    mode: str = terminal.NORMAL,
    debug: bool = False,
) -> int:
    """Withdraw ``source_id``'s published records after a confirmation; returns the run's exit code."""
    lake_root = existing_lake(lake_value)
    (source,) = checked_registry(sources, source_id)
    version = current_version(lake_root)
    counts = published_sources(lake_root, version) if version else {}
    published = None if counts is None else counts.get(source.id, 0)
    if published == 0:
        print(f"source {source.id} publishes no records in {lake_root}: nothing to clear")
        return OK
    records = "every record" if published is None else f"the {published} records"
    where = " and from the catalog database" if db_url else ""
    if not confirmed(f"withdraw {records} source {source.id} publishes from the catalog{where}?", yes):
        print("clear cancelled: nothing was withdrawn")
        return FAILED
    code = run_harvest(
        sources,
        lake_root,
        force=True,  # the confirmation above is the decision --force stands for
        only_sources=source.id,
        db_url=db_url,
        mode=mode,
        debug=debug,
        clear=True,
    )
    if source.enabled:
        print(
            f"source {source.id} is still enabled: the next run harvests it again; "
            "set enabled: false in the registry to keep it withdrawn"
        )
    return code


def add_clear_command(commands, common, add_command) -> None:
    """harvest clear (``add_command`` is the CLI's subcommand builder)."""
    from harvest_cli.parser import add_lake_option

    clear = add_command(
        commands,
        "clear",
        "withdraw every record a source publishes (before retiring it)",
        "Runs the five jobs for SOURCE alone, reading nothing of it, so every record it publishes is\n"
        "deleted as a harvest deletes a record its source no longer lists: the report, the catalog\n"
        "database and the search index show the deletes. Asks first; a later run of the source brings\n"
        "its records back.",
        "harvest clear old-agency-waf --sources sources.yaml --lake ./lake",
        common,
    )
    clear.add_argument("source", help="the id of the source to withdraw")
    clear.add_argument(
        "--sources", required=True, metavar="FILE", help="source registry YAML (path or s3:// URI)"
    )
    add_lake_option(clear)
    clear.add_argument(
        "--db-url",
        default="",
        help="also withdraw them from this catalog database (no password here: use $HARVEST_DB_URL)",
    )
    clear.add_argument("--yes", action="store_true", help="do not ask for a confirmation")
    clear.set_defaults(
        func=lambda a: clear_source(
            a.sources, a.lake, a.source, a.db_url, a.yes, terminal.mode_of(a), a.debug
        )
    )
