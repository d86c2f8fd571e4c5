"""The API described as OpenAPI 3.1, drawn from the routes themselves: each path and method,
its summary (the handler's docstring), its body's fields, and the error every one can answer."""

from __future__ import annotations

import inspect
from typing import Any

from starlette.routing import Route

TEXT = {"type": "string"}
NUMBER = {"oneOf": [{"type": "string", "pattern": r"^\d+(\.\d+)?$"}, {"type": "number"}]}
DATE = {"type": "string", "format": "date"}
TEXTS = {"type": "array", "items": TEXT}

# The fields of each POST's JSON body (each refused when unknown), and those required.
BODIES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "bill": (
        {"contract": TEXT, "pieces": NUMBER, "note": TEXT, "minutes": NUMBER, "proofs": TEXTS, "date": DATE},
        ["pieces"],
    ),
    "release": ({"pieces": NUMBER, "date": DATE}, []),
    "reject": ({"reason": TEXT, "date": DATE}, ["reason"]),
    "release_many": ({"bills": {"type": "array", "items": NUMBER}, "date": DATE}, ["bills"]),
    "reject_many": ({"bills": {"type": "array", "items": NUMBER}, "reason": TEXT, "date": DATE}, ["bills", "reason"]),
    "revise": ({"reason": TEXT, "date": DATE}, ["reason"]),
    "resubmit": ({"pieces": NUMBER, "note": TEXT, "minutes": NUMBER, "proofs": TEXTS, "date": DATE}, []),
}
UPLOADS = {"proofs"}  # multipart/form-data: one or more "file" parts

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": TEXT, "message": TEXT},
        }
    },
}
STATUSES = {
    "400": "bad input",
    "401": "no token, or one that is wrong, revoked or expired",
    "403": "the token's role may not do this",
    "404": "not found, or outside the token's scope",
    "409": "refused by a rule of the ledger",
    "422": "the idempotency key was used for another request",
    "503": "the ledger cannot be used now",
}


def document(routes: list[Route]) -> dict[str, Any]:
    from piecepay import __version__

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "piecepay", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
        "security": [{"token": []}],
    }


def _operation(route: Route, method: str) -> dict[str, Any]:
    summary = inspect.getdoc(route.endpoint) or route.name
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": summary.splitlines()[0],
        "description": summary,
        "responses": {
            "200": {"description": "the result, as the command line's --json prints it"},
            **{
                status: {
                    "description": words,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for status, words in STATUSES.items()
            },
        },
    }
    if route.name == "bill":
        operation["responses"]["201"] = {"description": "the new bill"}
    parameters = [{"name": name, "in": "path", "required": True, "schema": TEXT} for name in route.param_convertors]
    if method == "POST":
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False, "schema": TEXT})
        if route.name in BODIES:
            fields, required = BODIES[route.name]
            schema = {"type": "object", "properties": fields, "required": required, "additionalProperties": False}
            operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        elif route.name in UPLOADS:
            schema = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    if parameters:
        operation["parameters"] = parameters
    if route.name == "openapi":
        operation["security"] = []
    return operation
