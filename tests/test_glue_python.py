"""The Glue 5.x Python environment: which pins Glue provides, and which modules install there from wheels only."""

import zipfile

import pytest

from devtools.glue_python import (
    additional_python_modules,
    glue_provided_pins,
    glue_versions,
    missing_binary_wheels,
)


def wheel(folder, name: str, tag: str, requires: tuple[str, ...] = ()) -> None:
    """A minimal wheel file of ``name`` 1.0 with the given compatibility tag."""
    info = f"{name}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    with zipfile.ZipFile(folder / f"{name}-1.0-{tag}.whl", "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{info}/METADATA", metadata)
        archive.writestr(
            f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        )
        archive.writestr(f"{info}/RECORD", "")


@pytest.fixture
def index(tmp_path, monkeypatch):
    """A local package folder pip uses instead of any index."""
    folder = tmp_path / "packages"
    folder.mkdir()
    wheel(folder, "purepython", "py3-none-any")
    wheel(folder, "oldlinux", "cp311-cp311-manylinux2014_x86_64")
    wheel(folder, "newerlinux", "cp311-cp311-manylinux_2_28_x86_64")
    wheel(folder, "toonewlinux", "cp311-cp311-manylinux_2_39_x86_64")
    wheel(folder, "maconly", "cp311-cp311-macosx_11_0_arm64")
    wheel(folder, "otherpython", "cp312-cp312-manylinux2014_x86_64")
    wheel(folder, "withnative", "py3-none-any", requires=("maconly==1.0",))
    (folder / "sdistonly-1.0.tar.gz").write_bytes(b"not needed: pip never builds it with --only-binary")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def test_pure_python_and_manylinux_wheels_up_to_glibc_2_34_pass(index):
    modules = ["purepython==1.0", "oldlinux==1.0", "newerlinux==1.0"]
    assert missing_binary_wheels(modules, provided=[], glue_version="5.1") == []


@pytest.mark.parametrize("module", ["sdistonly==1.0", "maconly==1.0", "toonewlinux==1.0", "otherpython==1.0"])
def test_a_pin_without_a_wheel_for_glue_fails_and_is_named(index, module):
    (problem,) = missing_binary_wheels(["purepython==1.0", module], provided=[], glue_version="5.0")
    assert problem.startswith(f"{module}: no wheel for Glue 5.0 (CPython 3.11, manylinux x86_64, glibc 2.34)")


def test_a_dependency_without_a_wheel_fails_too(index):
    (problem,) = missing_binary_wheels(["withnative==1.0"], provided=[], glue_version="5.1")
    assert (
        problem.startswith("a dependency of withnative==1.0 has no wheel for Glue 5.1")
        and "maconly" in problem
    )


@pytest.mark.parametrize("glue_version", glue_versions())
def test_glue_provides_its_own_libraries_at_pinned_versions_and_the_stack_adds_the_rest(glue_version):
    provided = glue_provided_pins(glue_version)
    assert len(provided) == 6 and all("==" in pin for pin in provided)
    names = {pin.split("==")[0].lower() for pin in provided}
    modules = {module.split("[")[0].split("==")[0].lower() for module in additional_python_modules()}
    assert modules and not names & modules
