"""The console's static files: vendored modules as recorded, imports that resolve, safe serving."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.agent_api.http import console_routes

pytestmark = pytest.mark.unit

REPO = Path(__file__).parents[2]
CONSOLE = REPO / "services" / "agent_api" / "console"
BARE_IMPORT = re.compile(r"""(?:from|import)\s*["']([^"'./][^"']*)["']""")


def recorded() -> dict[str, str]:
    lines = (CONSOLE / "VENDOR.sha256").read_text().splitlines()
    return {path: digest for digest, path in (line.split(maxsplit=1) for line in lines)}


def import_map() -> dict[str, str]:
    page = (CONSOLE / "index.html").read_bytes()
    return json.loads(console_routes.IMPORT_MAP.search(page).group(1))["imports"]


def test_vendored_files_are_exactly_what_the_vendor_script_recorded():
    hashes = recorded()
    assert {p for p in hashes if "/vendor/" in p and p.startswith("services/")} == {
        str(p.relative_to(REPO)) for p in (CONSOLE / "vendor").glob("*.js")
    }
    for path, digest in hashes.items():
        assert hashlib.sha256((REPO / path).read_bytes()).hexdigest() == digest, (
            f"{path} changed: run make console-vendor"
        )


def test_every_bare_import_is_in_the_import_map_and_the_map_names_vendored_files():
    mapped = import_map()
    for target in mapped.values():
        assert (CONSOLE / target.removeprefix("/console/")).is_file(), target
    for module in [*CONSOLE.glob("app/*.js"), *CONSOLE.glob("vendor/*.js")]:
        for name in BARE_IMPORT.findall(module.read_text()):
            assert name in mapped, f"{module.name} imports {name!r}, which the import map does not name"


def test_no_console_module_writes_html_from_a_string():
    for module in CONSOLE.glob("app/*.js"):
        source = module.read_text()
        assert not re.search(
            r"dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write", source
        ), module


def test_the_csp_allows_the_import_map_by_its_hash_and_no_other_inline_script():
    page = (CONSOLE / "index.html").read_bytes()
    scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", page, re.S)
    inline = [attrs for attrs, body in scripts if body.strip()]
    assert inline == [b' type="importmap"']
    assert console_routes.import_map_hash(page) in console_routes.CSP
    assert "'unsafe-inline'" not in console_routes.CSP and "frame-ancestors 'none'" in console_routes.CSP


@pytest.mark.parametrize(
    ("path", "status", "content_type"),
    [
        ("/console/", 200, "text/html; charset=utf-8"),
        ("/console/c/deep-link", 200, "text/html; charset=utf-8"),
        ("/console/app/main.js", 200, "text/javascript; charset=utf-8"),
        ("/console/vendor/preact.module.js", 200, "text/javascript; charset=utf-8"),
        ("/console/console.css", 200, "text/css; charset=utf-8"),
        ("/console/package.json", 404, None),
        ("/console/package-lock.json", 404, None),
        ("/console/VENDOR.sha256", 404, None),
        ("/console/app/../../routes.py", 404, None),
        ("/console/%2e%2e/routes.py", 404, None),
        ("/console/app/missing.js", 404, None),
    ],
)
async def test_serves_console_files_with_their_type_and_safety_headers_and_nothing_else(path, status, content_type):
    app = web.Application()
    console_routes.register(app)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path, allow_redirects=False)
        assert response.status == status
        if status == 200:
            assert response.headers["Content-Type"] == content_type
            assert response.headers["Content-Security-Policy"] == console_routes.CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] == (
                "no-cache" if "html" in content_type else "public, max-age=300, must-revalidate"
            )
