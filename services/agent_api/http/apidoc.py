"""Build the OpenAPI 3.1 document from `openapi.OPERATIONS`, and serve it at `/v1/openapi.json`."""

import functools
import re
from typing import Any

import msgspec
from aiohttp import web

from contracts.generate import tidy
from services.agent_api.http import schemas, stats_routes
from services.agent_api.http.openapi import ALWAYS, OPERATIONS, PATH, REASONS, TITLE, Op

REF = "#/components/schemas/{name}"
PATH_PARAM = re.compile(r"\{(\w+)\}")
PATH_SCHEMAS = {
    "id": {"type": "string", "format": "uuid"},
    "name": {"type": "string"},
    "key": {"type": "string"},
    "tag": {"type": "string"},
    "message_id": {"type": "string", "format": "uuid"},
    "index": {"type": "integer", "minimum": 0, "maximum": 999},
}
JSON = "application/json"


def registered(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, as OPERATIONS names them."""
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method not in ("HEAD", "*")
        and route.resource is not None
        and (route.resource.canonical.startswith(("/v1/", "/files/")))
    }


def _types() -> list[Any]:
    found = {schemas.Error}
    for op in OPERATIONS.values():
        found.update(kind for kind in (op.response, op.body, op.query) if kind is not None)
    return sorted(found, key=lambda kind: kind.__name__)


def _parameters(path: str, op: Op, components: dict) -> list[dict]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": PATH_SCHEMAS[name]}
        for name in PATH_PARAM.findall(path)
    ]
    if path == "/v1/stats/{name}":
        params[0]["schema"] = {"type": "string", "enum": list(stats_routes.STATS)}
    if op.query is not None:
        shape = components[op.query.__name__]
        required = set(shape.get("required", ()))
        for name, schema in shape["properties"].items():
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if schema.get("anyOf", [schema])[0].get("type") == "array":
                param |= {"style": "form", "explode": False}  # status=queued,assigned
            params.append(param)
    return params


def _content(op: Op, ref: dict | None) -> dict:
    match op.content:
        case "file":
            return {
                "application/octet-stream": {
                    "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
                }
            }
        case "openapi":
            return {JSON: {"schema": {"type": "object"}}}
        case "json-or-csv":
            return {JSON: {"schema": ref}, "text/csv": {"schema": {"type": "string"}}}
    return {JSON: {"schema": ref}} if ref else {}


def _request_body(op: Op, refs: dict) -> dict | None:
    if op.content == "file-upload":
        binary = {"type": "string", "contentMediaType": "application/octet-stream"}
        return {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": binary},
                "multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {"file": binary}}
                },
            },
        }
    if op.body is None:
        return None
    return {"required": True, "content": {JSON: {"schema": refs[op.body]}}}


def _operation(method: str, path: str, op: Op, refs: dict, components: dict) -> dict:
    summary = op.summary
    operation: dict = {
        "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
        "summary": summary,
        "tags": [op.tag],
    }
    if op.description:
        operation["description"] = op.description
    if parameters := _parameters(path, op, components):
        operation["parameters"] = parameters
    if body := _request_body(op, refs):
        operation["requestBody"] = body
    success: dict = {"description": REASONS.get(op.status, "OK" if op.status < 300 else "Switching protocols")}
    if content := _content(op, refs.get(op.response)):
        success["content"] = content
    responses = {str(op.status): success}
    for status in sorted({*op.errors, *(() if op.public else ALWAYS)}):
        responses[str(status)] = {"description": REASONS[status], "content": {JSON: {"schema": refs[schemas.Error]}}}
    operation["responses"] = responses
    if op.public:
        operation["security"] = []
    return operation


@functools.cache
def document() -> dict:
    """The whole OpenAPI 3.1 document, with every schema under components."""
    types = _types()
    generated, components = msgspec.json.schema_components(types, ref_template=REF)
    refs = dict(zip(types, generated, strict=True))
    paths: dict[str, dict] = {}
    for (method, path), op in sorted(OPERATIONS.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op, refs, components)
    return tidy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": TITLE,
                "version": "1",
                "description": "How agents, supervisors and admins work with Relaydesk: conversations, customers, "
                "callbacks, statistics. Customer data is masked in every response.",
            },
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}, {"session": []}],
            "paths": paths,
            "components": {
                "schemas": dict(sorted(components.items())),
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "rd_session"},
                },
            },
        }
    )


async def serve(_: web.Request) -> web.Response:
    return web.json_response(document(), dumps=lambda body: msgspec.json.encode(body).decode())


def register(app: web.Application) -> None:
    app.router.add_get(PATH, serve)
