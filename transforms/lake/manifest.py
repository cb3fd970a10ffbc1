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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from transforms import lake
from transforms.registry import RegistryError, Source, parse_registry, select_sources

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

    def sources(self) -> list[Source]:
        """The run's sources: the pinned registry, filtered by the pinned only_sources."""
        names = [name.strip() for name in self.only_sources.split(",") if name.strip()]
        return select_sources(parse_registry(self.registry), names)


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
) -> RunManifest:
    """Write the run's manifest, or return the one an earlier attempt of the same run pinned.

    ``base_version`` is asked only when the run is pinned for the first time (an extract rerun keeps
    the base it had). The registry is read and validated here, once; an invalid registry or an
    unknown source id raises RegistryError before anything is written.
    """
    uri = manifest_uri(lake_root, run_id)
    existing = lake.read_text(uri)
    if existing is not None:
        manifest = _parse(uri, existing)
        if (manifest.force, manifest.only_sources, manifest.dry_run) != (force, only_sources, dry_run):
            log.warning(
                "run %s was pinned with force=%s only_sources=%r dry_run=%s; this attempt's options are ignored",
                run_id,
                manifest.force,
                manifest.only_sources,
                manifest.dry_run,
            )
        return manifest
    text = lake.read_text(registry_uri)
    if text is None:
        raise RegistryError(f"source registry not found at {registry_uri}")
    manifest = RunManifest(
        run_id=run_id,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        base_version=base_version(),
        registry=text,
        registry_uri=registry_uri,
        force=force,
        only_sources=only_sources,
        publish_as=publish_as,
        dry_run=dry_run,
    )
    manifest.sources()  # validate before pinning
    lake.write_text(uri, json.dumps(asdict(manifest), indent=2) + "\n", "application/json")
    log.info("run %s pinned: base catalog version %s", run_id, manifest.base_version)
    return manifest
