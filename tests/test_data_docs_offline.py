"""Data Docs work without a network: every CDN asset GE's pages load is vendored, pinned, and linked locally.

The browser test opens a real Data Docs site in headless Chromium with no network at all (a network
namespace of its own), beside the same site as GE wrote it, which must come out unstyled: that is
what shows the check can fail.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from tests.test_report_html import CHROMIUM, chromium
from transforms.gate.data_docs_offline import REMOTE_ASSET, make_offline, manifest
from transforms.gate.suites import SuiteRunner, load_suite

# Bootstrap 4.3's .btn-primary and .btn-secondary backgrounds (plain, and .active as a toggle is).
BOOTSTRAP_BUTTONS = {
    "primary": ("rgb(0, 123, 255)", "rgb(0, 98, 204)"),
    "secondary": ("rgb(108, 117, 125)", "rgb(84, 91, 98)"),
}
SUITES = str(Path(__file__).resolve().parents[1] / "expectations")
# Runs in the page after everything loaded: what only the vendored files can provide.
PROBE = """<script>
window.addEventListener('load', async () => {
  await document.fonts.ready;
  const button = document.querySelector('.btn-primary') || document.querySelector('.btn-secondary');
  const icons = [...document.fonts].filter(f => f.family.includes('Font Awesome') && f.status === 'loaded');
  document.body.setAttribute('data-probe', JSON.stringify({
    button: button ? [button.classList.contains('btn-primary') ? 'primary' : 'secondary',
                      getComputedStyle(button).backgroundColor] : null,
    jquery: typeof window.jQuery,
    tables: document.querySelectorAll('.bootstrap-table').length,
    icon_fonts: icons.length,
  }));
});
</script>"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> tuple[Path, Path]:
    """(the site as GE writes it, the same site made offline): one validation with failures, so icons show."""
    frame = pd.DataFrame(
        [
            {
                "source_id": "a",
                "identifier": "a1",
                "title": "T",
                "access_level": "public",
                "modified": "2024",
            },
            {"source_id": "a", "identifier": None, "title": None, "access_level": "open", "modified": "x"},
        ]
    )
    as_written = tmp_path_factory.mktemp("docs") / "site"
    runner = SuiteRunner(str(as_written), "r1")
    runner.run(load_suite(SUITES, "transformed_records"), frame, ["source_id", "identifier"])
    runner.build_docs()
    offline = as_written.parent / "offline"
    shutil.copytree(as_written, offline)
    assert make_offline(str(offline)) == []
    return as_written, offline


def test_no_page_loads_anything_from_the_network_after_the_rewrite(sites):
    as_written, offline = sites
    before = {url for page in as_written.rglob("*.html") for url in REMOTE_ASSET.findall(page.read_text())}
    assert {entry["url"] for entry in manifest()["assets"]} <= {re.sub(r"\?.*", "", u) for u in before}
    for page in offline.rglob("*.html"):
        text = page.read_text()
        assert REMOTE_ASSET.findall(text) == [], page
        for src in re.findall(r'(?:src|href)="((?:\.\./)*static/vendor/[^"]+)"', text):
            assert (page.parent / src).is_file(), src  # relative to each page's own folder


def test_vendored_files_are_the_pinned_ones(sites):
    folder = resources.files("transforms.gate").joinpath("data_docs_assets")
    for entry in manifest()["assets"] + [f for f in manifest()["files"] if "sha256" in f]:
        assert hashlib.sha256(folder.joinpath(entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    # GE pins two of its CDN scripts by subresource integrity: the npm files are byte for byte those.
    template = resources.files("great_expectations").joinpath("render/view/templates/js_script_imports.j2")
    pinned = dict(re.findall(r'src="([^"]+)" integrity="([^"]+)"', template.read_text()))
    by_url = {entry["url"]: entry["file"] for entry in manifest()["assets"]}
    assert len(pinned) == 2
    for url, integrity in pinned.items():
        digest = base64.b64encode(hashlib.sha384(folder.joinpath(by_url[url]).read_bytes()).digest()).decode()
        assert integrity == f"sha384-{digest}"


def probe(site: Path, page: Path, tmp_path: Path) -> dict:
    """Open one page of a site in headless Chromium with no network; what the probe script saw."""
    copy = tmp_path / f"probe-{site.name}"
    shutil.copytree(site, copy, dirs_exist_ok=True)
    target = copy / page.relative_to(site)
    target.write_text(target.read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", target.as_uri(), offline=True)
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[:2000]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.browser
def test_pages_render_styled_with_the_network_off(sites, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is missing at /usr/bin/chromium: apt-get install chromium")
    if subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare --net is not permitted here: cannot take the network away from Chromium")
    as_written, offline = sites
    validation = next((offline / "validations").rglob("*.html")).relative_to(offline)
    for page in (Path("index.html"), validation):
        seen = probe(offline, offline / page, tmp_path)
        # Bootstrap's button colours, jQuery, bootstrap-table around the lists of runs, Font Awesome's icons.
        assert seen["button"][1] in BOOTSTRAP_BUTTONS[seen["button"][0]], seen
        assert (seen["jquery"], seen["icon_fonts"]) == ("function", 1)
        assert seen["tables"] >= (2 if page == Path("index.html") else 0)  # runs and suites on the index
    unstyled = probe(as_written, as_written / "index.html", tmp_path)
    assert unstyled == {
        "button": ["primary", "rgba(0, 0, 0, 0)"],
        "jquery": "undefined",
        "tables": 0,
        "icon_fonts": 0,
    }
