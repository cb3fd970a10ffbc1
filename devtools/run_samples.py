"""`make run`: serve the bundled samples on 127.0.0.1 and harvest them into a local lake.

The samples are not part of the job wheel, so this runs from a checkout:
``python -m devtools.run_samples --lake lake``.
"""

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from devtools.local_http import serve_folder
from harvest_cli.exit_codes import report_errors
from harvest_cli.run_command import run_harvest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# WAF records are identified by their URL, so the samples are always served on the same port:
# on another port every sample WAF record would look deleted and created again.
SAMPLES_PORT = int(os.environ.get("HARVEST_SAMPLES_PORT", "8642"))


@contextlib.contextmanager
def serving_samples(lake_root: str) -> Iterator[str]:
    """Serve the samples on 127.0.0.1 while the block runs; yields the registry, written to <lake>/config/sources.yaml.

    OSError when the port is taken (``port_problem`` says what to do).
    """
    with serve_folder(SAMPLES / "www", port=SAMPLES_PORT) as base_url:
        registry = (
            (SAMPLES / "sources.yaml").read_text("utf-8").replace("{samples_url}", base_url.rstrip("/"))
        )
        registry_path = Path(lake_root, "config", "sources.yaml")
        registry_path.parent.mkdir(parents=True, exist_ok=True)
        registry_path.write_text(registry, "utf-8")
        print(f"serving the bundled samples at {base_url}")
        yield str(registry_path)


def port_problem(error: OSError) -> str:
    """The message for a samples port that cannot be served."""
    return (
        f"harvest: cannot serve the samples on 127.0.0.1:{SAMPLES_PORT} ({error}); "
        "free the port or set HARVEST_SAMPLES_PORT"
    )


def run_samples(lake_root: str, force: bool = False) -> int:
    """Serve the bundled samples on 127.0.0.1 and harvest them; returns the run's exit code."""
    with contextlib.ExitStack() as serving:
        try:
            registry = serving.enter_context(serving_samples(lake_root))
        except OSError as error:
            print(port_problem(error), file=sys.stderr)
            return 2
        return run_harvest(registry, lake_root, force=force, new_lake=True)  # a fresh clone has no lake yet


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m devtools.run_samples [--lake DIR] [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m devtools.run_samples", description=__doc__)
    parser.add_argument("--lake", default="lake", help="lake folder (default: ./lake)")
    parser.add_argument(
        "--force", action="store_true", help="release sources held by the mass-deletion guard"
    )
    args = parser.parse_args(argv)
    return report_errors("run", lambda: run_samples(args.lake, args.force))


if __name__ == "__main__":
    sys.exit(main())
