"""The dependency lock: `requirements.lock`, compiled from pyproject.toml with exact versions and hashes.

    python scripts/lock.py            re-resolve after a change to pyproject.toml, keeping existing pins
    python scripts/lock.py --upgrade  move every package to the newest version pyproject.toml allows
    python scripts/lock.py --check    exit 1 if the lock no longer matches pyproject.toml (stdlib only)
    python scripts/lock.py --runtime  print the part of the lock the services need (for the image)
    python scripts/lock.py --extraneous  print installed packages the lock does not name

The lock names every package of the project, its `test` and `dev` extras and its build backend, for
CPython 3.11 on Linux. `scripts/setup.sh` installs all of it and `deploy/Dockerfile` the runtime
part (listed in the lock's header), both with `pip install --require-hashes --no-deps`, so nothing
else is ever resolved.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
EXTRAS = ("test", "dev")
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-unknown-linux-gnu"
STAMP = "# pyproject-sha256: "
RUNTIME = "# runtime: "
FIX = "make lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def inputs() -> dict:
    """Everything in pyproject.toml that decides what the lock holds."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    meta = project["project"]
    return {
        "requires-python": meta.get("requires-python", ""),
        "dependencies": sorted(meta.get("dependencies", [])),
        "extras": {name: sorted(meta.get("optional-dependencies", {}).get(name, [])) for name in EXTRAS},
        "build-system": sorted(project["build-system"]["requires"]),
        "target": [PYTHON_VERSION, PLATFORM],
    }


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(inputs(), sort_keys=True).encode()).hexdigest()


def normalise(name: str) -> str:
    """A package name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """Package name (normalised) → pinned version, for every entry of a lock."""
    found = {}
    for line in text.splitlines():
        if match := PIN.match(line):
            found[normalise(match[1])] = match[2]
    return found


def uv_compile(*args: str) -> str:
    uv = Path(sys.executable).parent / "uv"
    command = [
        str(uv) if uv.exists() else "uv",
        "pip",
        "compile",
        str(PYPROJECT),
        *args,
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        PLATFORM,
        "--no-emit-index-url",
        "--quiet",
    ]
    env = {**os.environ, "UV_NO_CONFIG": "1"}
    return subprocess.run(command, check=True, cwd=ROOT, env=env, capture_output=True, text=True).stdout


def compile_lock(upgrade: bool) -> None:
    """Resolve everything into the lock, then name the runtime part (resolved within the lock)."""
    with tempfile.NamedTemporaryFile("w", suffix=".in", prefix="build-system-", delete=False) as extra:
        extra.write("\n".join(inputs()["build-system"]) + "\n")
    try:
        uv_compile(
            extra.name,
            *[arg for name in EXTRAS for arg in ("--extra", name)],
            "--generate-hashes",
            "--custom-compile-command",
            FIX,
            "--output-file",
            str(LOCK),
            *(["--upgrade"] if upgrade else []),
        )
    finally:
        os.unlink(extra.name)
    text = LOCK.read_text(encoding="utf-8").replace(extra.name, "build-system.requires (pyproject.toml)")
    # The image builds the project with --no-build-isolation, so the build backend counts as runtime.
    backend = {normalise(re.split(r"[<>=!~; \[]", r, maxsplit=1)[0]) for r in inputs()["build-system"]}
    runtime = sorted(set(pins(uv_compile("--constraint", str(LOCK), "--no-header", "--no-annotate"))) | backend)
    LOCK.write_text(f"{STAMP}{fingerprint()}\n{RUNTIME}{' '.join(runtime)}\n{text}", encoding="utf-8")


def runtime_part() -> str:
    """The lock's entries (with their hashes) for the packages the services and their build need."""
    text = LOCK.read_text(encoding="utf-8")
    wanted = set(next(line for line in text.splitlines() if line.startswith(RUNTIME))[len(RUNTIME) :].split())
    kept, keep = [], False
    for line in text.splitlines():
        if match := PIN.match(line):
            keep = normalise(match[1]) in wanted
        elif not line.startswith(" "):
            keep = False
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def extraneous() -> list[str]:
    """Installed distributions the lock does not name (the project itself and pip aside)."""
    from importlib.metadata import distributions

    locked = pins(LOCK.read_text(encoding="utf-8"))
    names = {normalise(d.metadata["Name"]) for d in distributions()}
    return sorted(names - set(locked) - {"relaydesk", "pip"})


def stale_reason() -> str | None:
    """Why the lock does not match pyproject.toml, or None when it does."""
    if not LOCK.exists():
        return "requirements.lock is missing"
    first = LOCK.read_text(encoding="utf-8").partition("\n")[0]
    if first != STAMP + fingerprint():
        return "pyproject.toml's dependencies changed since requirements.lock was compiled"
    return None


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        reason = stale_reason()
        if reason:
            print(f"lock: {reason}; run `{FIX}` and commit requirements.lock", file=sys.stderr)
            return 1
        return 0
    if argv == ["--runtime"]:
        sys.stdout.write(runtime_part())
        return 0
    if argv == ["--extraneous"]:
        print("\n".join(extraneous()))
        return 0
    if argv not in ([], ["--upgrade"]):
        print(__doc__, file=sys.stderr)
        return 2
    compile_lock(upgrade=argv == ["--upgrade"])
    print(f"lock: wrote {LOCK.name} ({len(pins(LOCK.read_text(encoding='utf-8')))} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
