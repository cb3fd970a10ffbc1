"""Vendor the CSS, JavaScript and fonts Great Expectations' Data Docs pages load from CDNs, pinned, from npm.

GE's page templates (great_expectations/render/view/templates/*.j2) reference Bootstrap, jQuery,
bootstrap-table, Font Awesome and more on five CDNs; without a network the pages lose their
styles, the list of validation runs and the status icons. This script downloads each package
with ``npm pack`` (the registry's tarball of exactly that version), copies the referenced files
and the package's licence into ``transforms/gate/data_docs_assets/`` and writes MANIFEST.json:
CDN URL -> vendored file, package, version and sha256. The validate stage then copies them into
every Data Docs site and points the pages at them (``transforms.gate.data_docs_offline``).

Run it again after upgrading great-expectations: ``python -m devtools.vendor_data_docs_assets``
(needs npm). A CDN URL with only a major version (vega@5) is pinned to the version below.
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "transforms" / "gate" / "data_docs_assets"
# (CDN URL as GE's templates write it, npm package@version, file in the package)
ASSETS = [
    ("https://cdn.jsdelivr.net/npm/vega@5", "vega@5.33.1", "build/vega.min.js"),
    ("https://cdn.jsdelivr.net/npm/vega-lite@5", "vega-lite@5.23.0", "build/vega-lite.min.js"),
    ("https://cdn.jsdelivr.net/npm/vega-embed@6", "vega-embed@6.29.0", "build/vega-embed.min.js"),
    (
        "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
        "@fortawesome/fontawesome-free@6.6.0",
        "css/all.min.css",
    ),
    ("https://code.jquery.com/jquery-3.7.1.min.js", "jquery@3.7.1", "dist/jquery.min.js"),
    (
        "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
        "popper.js@1.12.9",
        "dist/umd/popper.min.js",
    ),
    (
        "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
        "bootstrap@4.3.1",
        "dist/js/bootstrap.min.js",
    ),
    (
        "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
        "bootstrap@4.3.1",
        "dist/css/bootstrap.min.css",
    ),
    (
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
        "bootstrap-table@1.19.1",
        "dist/bootstrap-table.min.js",
    ),
    (
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
        "bootstrap-table@1.19.1",
        "dist/bootstrap-table.min.css",
    ),
    (
        "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
        "bootstrap-table@1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    (
        "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
        "bootstrap-table@1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    (
        "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        "bootstrap-table@1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    (
        "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
        "bootstrap-datepicker@1.9.0",
        "dist/js/bootstrap-datepicker.min.js",
    ),
    (
        "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
        "bootstrap-datepicker@1.9.0",
        "dist/css/bootstrap-datepicker.min.css",
    ),
    # The page asks for the unminified file (880 KB); the package's minified build is the same stylesheet.
    (
        "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
        "@forevolve/bootstrap-dark@1.1.0",
        "dist/css/bootstrap-prefers-dark.min.css",
    ),
]
# Files a vendored stylesheet loads itself (Font Awesome's css/all.min.css: url(../webfonts/...)).
# Only WOFF2: every browser that runs the pages' JavaScript reads it, and the CSS lists it first.
EXTRA_FILES = [
    ("@fortawesome/fontawesome-free@6.6.0", f"webfonts/{name}.woff2")
    for name in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")
]


def folder_of(spec: str) -> str:
    """The vendored folder of a package@version: '@fortawesome/fontawesome-free@6.6.0' -> 'fontawesome-free@6.6.0'."""
    return spec.rsplit("/", 1)[-1]


def unpack(spec: str, work: Path) -> Path:
    """``npm pack`` one exact version and unpack it; returns the package folder."""
    done = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = work / done.stdout.strip().splitlines()[-1]
    destination = work / folder_of(spec)
    with tarfile.open(tarball) as archive:
        archive.extractall(destination, filter="data")
    return destination / "package"


def vendor(target: Path = TARGET) -> dict:
    """Download, copy and describe every asset; returns the manifest it wrote."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    manifest: dict = {"assets": [], "files": [], "licenses": {}}
    with tempfile.TemporaryDirectory() as work:
        packages = {spec: unpack(spec, Path(work)) for spec in dict.fromkeys(s for _, s, _ in ASSETS)}
        wanted = [(spec, path, url) for url, spec, path in ASSETS] + [(s, p, None) for s, p in EXTRA_FILES]
        for spec, path, url in wanted:
            local = f"{folder_of(spec)}/{path}"
            (target / local).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(packages[spec] / path, target / local)
            digest = hashlib.sha256((target / local).read_bytes()).hexdigest()
            entry = {"file": local, "package": spec, "sha256": digest}
            manifest["assets" if url else "files"].append({"url": url, **entry} if url else entry)
        for spec, package in packages.items():
            manifest["licenses"][spec] = json.loads((package / "package.json").read_text("utf-8")).get(
                "license"
            )
            for licence in sorted(package.glob("LICEN[CS]E*")):
                shutil.copyfile(licence, target / folder_of(spec) / licence.name)
                manifest["files"].append({"file": f"{folder_of(spec)}/{licence.name}", "package": spec})
    (target / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m devtools.vendor_data_docs_assets [--target DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m devtools.vendor_data_docs_assets", description=__doc__)
    parser.add_argument("--target", type=Path, default=TARGET, help=f"where to put them (default: {TARGET})")
    args = parser.parse_args(argv)
    manifest = vendor(args.target)
    print(
        f"vendored {len(manifest['assets'])} assets and {len(manifest['files'])} other files into {args.target}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
