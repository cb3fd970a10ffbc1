"""Data Docs that work without a network: the CDN assets GE's pages load, copied in and linked locally.

The files come from ``data_docs_assets/`` (vendored, pinned, from npm by
``devtools/vendor_data_docs_assets.py``; MANIFEST.json maps each CDN URL to its file). They are
read through importlib.resources, so this works when the project is a zip on Glue too.
"""

import json
import logging
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)
VENDOR_DIR = ("static", "vendor")  # inside the Data Docs site
# GE's logo comes from its own bucket (with a cache-busting query); the site already holds a copy.
GE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*/logo-long\.png(\?[^\"']*)?")
# Subresource integrity only works for same-origin or CORS fetches; a file:// page has neither.
SRI_ATTRIBUTES = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')
REMOTE_ASSET = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?://[^"]+)"')


def _assets():
    return resources.files("transforms.gate").joinpath("data_docs_assets")


@lru_cache(maxsize=1)
def manifest() -> dict:
    """MANIFEST.json: ``assets`` (url, file, package, sha256) and ``files`` the assets load themselves."""
    return json.loads(_assets().joinpath("MANIFEST.json").read_text(encoding="utf-8"))


def copy_assets(site: Path) -> Path:
    """Copy every vendored file into ``<site>/static/vendor/``; returns that folder."""
    vendor = site.joinpath(*VENDOR_DIR)
    for entry in manifest()["assets"] + manifest()["files"]:
        target = vendor / entry["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_assets().joinpath(entry["file"]).read_bytes())
    return vendor


def localised(page: str, to_site: str) -> str:
    """A page's HTML with every vendored CDN URL (and GE's logo) pointing into the site; ``to_site`` ends in '/'."""
    for entry in manifest()["assets"]:
        page = page.replace(f'"{entry["url"]}"', f'"{to_site}{"/".join(VENDOR_DIR)}/{entry["file"]}"')
    page = GE_LOGO.sub(f"{to_site}static/images/logo-long.png", page)
    return re.sub(r"<script\b[^>]*>", lambda tag: SRI_ATTRIBUTES.sub("", tag.group(0)), page)


def make_offline(site_dir: str) -> list[str]:
    """Make a Data Docs site self-contained; returns the remote assets still referenced (none, normally)."""
    site = Path(site_dir)
    copy_assets(site)
    remaining: set[str] = set()
    for path in site.rglob("*.html"):
        to_site = os.path.relpath(site, path.parent).replace(os.sep, "/")
        page = localised(path.read_text(encoding="utf-8"), "" if to_site == "." else to_site + "/")
        path.write_text(page, encoding="utf-8")
        remaining.update(REMOTE_ASSET.findall(page))
    if remaining:  # a GE upgrade added a CDN file: run devtools/vendor_data_docs_assets.py again
        log.warning("Data Docs still load %s from the network: not vendored", ", ".join(sorted(remaining)))
    return sorted(remaining)
