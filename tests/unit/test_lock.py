"""The environment is exactly requirements.lock, and the lock answers to pyproject.toml."""

import importlib.util
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _lock_module(root: Path = ROOT):
    spec = importlib.util.spec_from_file_location("relaydesk_lock", root / "scripts" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_locked_package_is_installed_at_its_locked_version():
    lock = _lock_module()
    locked = lock.pins(lock.LOCK.read_text(encoding="utf-8"))
    installed = {}
    for name in locked:
        try:
            installed[name] = version(name)
        except PackageNotFoundError:
            installed[name] = None
    assert installed == locked


def test_nothing_is_installed_that_the_lock_does_not_name():
    assert _lock_module().extraneous() == []


def test_the_committed_lock_matches_pyproject():
    assert _lock_module().stale_reason() is None


def _copy_project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    for name in ("pyproject.toml", "requirements.lock", "scripts/lock.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_dependency_change_makes_the_lock_stale_and_names_the_fix(tmp_path, capsys):
    root = _copy_project(tmp_path)
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace('"msgspec>=0.22"', '"msgspec>=0.24"'), encoding="utf-8")
    lock = _lock_module(root)
    assert lock.stale_reason() == "pyproject.toml's dependencies changed since requirements.lock was compiled"
    assert lock.main(["--check"]) == 1
    assert "run `make lock`" in capsys.readouterr().err


def test_an_edit_outside_the_dependencies_keeps_the_lock_current(tmp_path):
    root = _copy_project(tmp_path)
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace('version = "0.1.0"', 'version = "0.1.1"'), encoding="utf-8")
    assert _lock_module(root).stale_reason() is None


def test_the_runtime_part_is_a_subset_of_the_lock_with_hashes():
    lock = _lock_module()
    runtime = lock.runtime_part()
    assert {"msgspec", "faststream", "asyncpg", "setuptools"} <= set(lock.pins(runtime))
    assert not {"pytest", "playwright", "ruff", "mypy"} & set(lock.pins(runtime))
    assert set(lock.pins(runtime).items()) <= set(lock.pins(lock.LOCK.read_text(encoding="utf-8")).items())
    assert all("--hash=sha256:" in entry for entry in runtime.split("==")[1:])


def test_the_runtime_part_holds_everything_the_services_import():
    """Closed under dependencies: each runtime package's own requirements (extras aside) are in it,
    as is each of the project's own, so the image installs a complete set."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    lock = _lock_module()
    runtime = set(lock.pins(lock.runtime_part()))
    needed = {}
    for name in [*runtime, "relaydesk"]:
        for line in requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                needed.setdefault(lock.normalise(requirement.name), name)
    assert {dep: by for dep, by in needed.items() if dep not in runtime} == {}
