"""The agent console: static files served at `/console/`, with a strict CSP and no inline scripts.

The console is Preact + htm + @preact/signals as native ES modules (vendored, no build step);
it talks to nothing but the public `/v1` API and the `/v1/stream` WebSocket.
"""

import base64
import hashlib
import re
from importlib import resources
from pathlib import PurePosixPath

from aiohttp import web

ROOT = resources.files("services.agent_api") / "console"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
"""What may be served, by suffix: anything else (package.json, the lock) is not a page asset."""
IMPORT_MAP = re.compile(rb'<script type="importmap">(.*?)</script>', re.S)


def import_map_hash(page: bytes) -> str:
    """The CSP source for the page's import map: the one inline script, and not code (it only names URLs)."""
    found = IMPORT_MAP.search(page)
    if found is None:
        return ""
    return f" 'sha256-{base64.b64encode(hashlib.sha256(found.group(1)).digest()).decode()}'"


CSP = (
    "default-src 'self'; script-src 'self'{import_map}; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
).format(import_map=import_map_hash((ROOT / "index.html").read_bytes()))
SERVED = ("index.html", "app/", "vendor/", "console.css", "icon.svg")
"""The only paths under the package directory that are the console's."""


def headers(content_type: str, *, revalidate: bool) -> dict[str, str]:
    """Safety headers on every console response; the page itself is always revalidated."""
    return {
        "Content-Type": content_type,
        "Cache-Control": "no-cache" if revalidate else "public, max-age=300, must-revalidate",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def asset(path: str) -> tuple[bytes, str] | None:
    """The bytes and type of a console file, or None when the path is not one (no `..`, no hidden)."""
    parts = PurePosixPath(path or "index.html").parts
    if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
        return None
    name = "/".join(parts)
    if not (name in SERVED or name.startswith(tuple(s for s in SERVED if s.endswith("/")))):
        return None
    kind = TYPES.get(PurePosixPath(name).suffix)
    target = ROOT.joinpath(*parts)
    if kind is None or not target.is_file():
        return None
    return target.read_bytes(), kind


async def serve(request: web.Request) -> web.Response:
    """`GET /console/{path}`: a console file; unknown paths are the app (it routes in the page)."""
    path = request.match_info.get("path", "")
    found = asset(path)
    if found is None and "." not in PurePosixPath(path).name:
        found = asset("index.html")  # e.g. /console/conversations/<id>, a deep link
    if found is None:
        raise web.HTTPNotFound(text="not found")
    body, kind = found
    return web.Response(body=body, headers=headers(kind, revalidate=kind.startswith("text/html")))


async def redirect(_: web.Request) -> web.Response:
    raise web.HTTPFound("/console/")


def register(app: web.Application) -> None:
    app.router.add_get("/console", redirect)
    app.router.add_get("/console/{path:.*}", serve)
