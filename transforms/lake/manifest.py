"""The run's pinned state: ``runs/<run_id>/manifest.json``, written once by extract, read by every later stage.

It holds what the run works from: the catalog version it compares against (its *base*), a copy of
the source registry, the run options (force, only_sources, publish_as, dry_run) and the start time.
Stages after extract read only this file, never the mutable catalog pointer or the registry, so
another run finishing or someone editing sources.yaml between two stages cannot give them different
inputs.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from transforms import lake
from transforms.lake.catalog_state import published_sources
from transforms.lake.harvest_times import read_source_harvests
from transforms.registry import RegistryError, Source, due_sources, parse_registry, select_sources

log = logging.getLogger(__name__)


class ManifestError(RuntimeError):
    """A run's manifest is missing or unreadable."""


@dataclass(frozen=True)
class RunManifest:
    """What a run was pinned to when extract started it."""

    run_id: str
    started: str
    base_version: str | None  # the catalog version compared against; None for the first run of a lake
    registry: str  # the registry's text, as it was read
    registry_uri: str
    force: bool
    only_sources: str
    publish_as: str = ""  # "dcatus3.0": every record of the run is published as DCAT-US 3.0
    dry_run: bool = False  # every stage runs and load writes the report, but publishes nothing
    due_only: bool = False  # a scheduled run: only the sources due by their frequency
    due_sources: list[str] = field(default_factory=list)  # the ones due when the run was pinned
    clear: bool = False  # the named sources are withdrawn: every record they publish is deleted

    def sources(self) -> list[Source]:
        """The run's sources: the pinned registry, filtered by the pinned only_sources (or due_sources)."""
        names = [name.strip() for name in self.only_sources.split(",") if name.strip()]
        registry = parse_registry(self.registry)
        if self.due_only and not names:
            return [source for source in registry if source.id in set(self.due_sources)]
        return select_sources(registry, names)


def manifest_uri(lake_root: str, run_id: str) -> str:
    """Where a run's manifest lives."""
    return lake.run_path(lake_root, run_id, "manifest.json")


def read_manifest(lake_root: str, run_id: str) -> RunManifest:
    """A run's manifest; ManifestError when extract never pinned the run."""
    uri = manifest_uri(lake_root, run_id)
    text = lake.read_text(uri)
    if text is None:
        raise ManifestError(
            f"run {run_id} has no manifest at {uri}: extract pins a run before any other stage runs; "
            "start the run from extract"
        )
    return _parse(uri, text)


def _parse(uri: str, text: str) -> RunManifest:
    try:
        return RunManifest(**json.loads(text))
    except (ValueError, TypeError) as error:
        raise ManifestError(f"run manifest {uri} is not readable: {error}") from None


def pin_run(
    lake_root: str,
    run_id: str,
    registry_uri: str,
    force: bool,
    only_sources: str,
    base_version: Callable[[], str | None],
    publish_as: str = "",
    dry_run: bool = False,
    *,
    due_only: bool = False,
    clear: bool = False,
    now: datetime | None = None,
) -> RunManifest:
    """Write the run's manifest, or return the one an earlier attempt of the same run pinned.

    ``base_version`` is asked only when the run is pinned for the first time (an extract rerun keeps
    the base it had), and so are the sources due at ``now`` (default: the clock) for a ``due_only`` run.
    The registry is read and validated here, once; an invalid registry, an unknown source id, a
    ``clear`` without source ids, or a registry that drops a published source raises RegistryError before
    anything is written.
    """
    uri = manifest_uri(lake_root, run_id)
    existing = lake.read_text(uri)
    options = (force, only_sources, dry_run, due_only, clear)
    if existing is not None:
        manifest = _parse(uri, existing)
        pinned = (manifest.force, manifest.only_sources, manifest.dry_run, manifest.due_only, manifest.clear)
        if pinned != options:
            log.warning(
                "run %s was pinned with force=%s only_sources=%r dry_run=%s due_only=%s clear=%s; "
                "this attempt's options are ignored",
                run_id,
                *pinned,
            )
        return manifest
    text = lake.read_text(registry_uri)
    if text is None:
        raise RegistryError(f"source registry not found at {registry_uri}")
    if clear and not only_sources.strip():
        raise RegistryError("clearing needs the ids of the sources to withdraw (only_sources)")
    started = now or datetime.now(UTC)
    registry = parse_registry(text)
    base = base_version()
    check_no_source_removed(lake_root, base, registry)
    due = due_sources(registry, read_source_harvests(lake_root), started) if due_only else []
    manifest = RunManifest(
        run_id=run_id,
        started=started.isoformat(timespec="seconds"),
        base_version=base,
        registry=text,
        registry_uri=registry_uri,
        force=force,
        only_sources=only_sources,
        publish_as=publish_as,
        dry_run=dry_run,
        due_only=due_only,
        due_sources=[source.id for source in due],
        clear=clear,
    )
    manifest.sources()  # validate before pinning
    lake.write_text(uri, json.dumps(asdict(manifest), indent=2) + "\n", "application/json")
    log.info("run %s pinned: base catalog version %s", run_id, manifest.base_version)
    if due_only and not only_sources.strip():
        log.info("run %s harvests the %d source(s) due: %s", run_id, len(due), manifest.due_sources)
    return manifest


def check_no_source_removed(lake_root: str, version: str | None, registry: list[Source]) -> None:
    """RegistryError when the catalog ``version`` publishes records of a source the registry no longer has.

    A source leaves the registry only once `harvest clear` has withdrawn its records; until then its
    records would stay published with nothing to update or delete them. A version written before
    versions counted their sources' records is not checked.
    """
    published = published_sources(lake_root, version) if version else None
    known = {source.id for source in registry}
    removed = {source_id: count for source_id, count in (published or {}).items() if source_id not in known}
    if removed:
        listed = ", ".join(f"{source_id} ({count} records)" for source_id, count in sorted(removed.items()))
        raise RegistryError(
            f"the registry no longer has source(s) the catalog still publishes: {listed}; put each back and "
            "run `harvest clear <id>` to withdraw its records before removing it"
        )
