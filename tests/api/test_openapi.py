"""The OpenAPI description: served, complete (every route described, nothing else), and every response of the
test campaign matches its schema.

``openapi-spec-validator`` and ``jsonschema`` are used when installed; without them the document's structure
is checked here and responses are validated by :func:`check`, which implements the JSON Schema keywords the
document uses (and fails on any other keyword, so a new one cannot be silently ignored).
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.api.openapi import openapi_document
from tests.api.apitools import ENDPOINTS, campaign_with_run, get, publish, token_for
from tests.apptools import Survey

KNOWN = {"type", "properties", "required", "additionalProperties", "items", "enum", "$ref", "minimum"}
IGNORED = {"description", "format"}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "null": type(None),
}


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, TYPES[name])


def check(document: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Errors of ``value`` against ``schema`` (a subset of JSON Schema 2020-12)."""
    unknown = set(schema) - KNOWN - IGNORED
    assert not unknown, f"{where}: keywords {sorted(unknown)} are not checked by this validator"
    if "$ref" in schema:
        return check(document, _resolve(document, schema["$ref"]), value, where)
    errors: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, n) for n in names):
            return [f"{where}: {value!r} is not of type {names}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "minimum" in schema and _is(value, "number") and value < schema["minimum"]:
        errors.append(f"{where}: {value!r} < {schema['minimum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in properties:
                errors += check(document, properties[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: undocumented field {name!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += check(document, schema["additionalProperties"], item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += check(document, schema["items"], item, f"{where}[{i}]")
    return errors


def _validate(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    if importlib.util.find_spec("jsonschema") is not None:
        import jsonschema

        resolvable = {**schema, "components": document["components"]}
        validator = jsonschema.Draft202012Validator(resolvable)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
    return check(document, schema, value)


def test_the_document_is_served_and_well_formed(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document == openapi_document()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    if importlib.util.find_spec("openapi_spec_validator") is not None:
        from openapi_spec_validator import validate

        validate(document)
    # Without the validator: every reference resolves, every operation answers 200 and 401 or is public.
    text = response.get_data(as_text=True)
    for ref in set(re.findall(r'"\$ref":\s*"([^"]+)"', text)):
        _resolve(document, ref)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method == "get", path
            assert "200" in operation["responses"], path
            assert "401" in operation["responses"] or operation.get("security") == [], path
            declared = {p["name"] for p in operation.get("parameters", [])}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_route_is_described_and_nothing_else(app: Flask) -> None:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            routes.setdefault(_openapi_path(rule.rule), set()).update(m.lower() for m in methods)
    described = {path: set(item) for path, item in openapi_document()["paths"].items()}
    assert routes == described
    assert {e.path for e in ENDPOINTS} == set(described)  # the route × state table covers every route


@pytest.mark.parametrize("state", ["viewer", "analyst", "admin"])
def test_every_response_matches_its_schema(client: FlaskClient, spi: Survey, state: str) -> None:
    publish(campaign_with_run(spi))
    document = openapi_document()
    token = token_for(state)
    urls = [(e.path, e.url(spi.campaign.slug)) for e in ENDPOINTS]
    urls += [("/campaigns/{slug}", "/api/v1/campaigns/no-such-campaign"), ("/campaigns", "/api/v1/campaigns")]
    for path, url in urls:
        for sent in (token, None):
            response = get(client, url, sent)
            status = str(response.status_code)
            responses = document["paths"][path]["get"]["responses"]
            assert status in responses, f"{url}: status {status} is not described"
            schema = responses[status]["content"]["application/json"]["schema"]
            errors = _validate(document, schema, response.get_json())
            assert not errors, f"{url} ({state}, token={sent is not None}): {errors[:5]}"


def test_the_validator_catches_mismatches() -> None:
    document = openapi_document()
    error = {"$ref": "#/components/schemas/Error"}
    assert check(document, error, {"error": "x", "message": "y"}) == []
    assert check(document, error, {"error": "x"}) == ["$: missing 'message'"]
    assert check(document, error, {"error": 1, "message": "y"}) == ["$.error: 1 is not of type ['string']"]
    assert check(document, error, {"error": "x", "message": "y", "z": 1}) == ["$: undocumented field 'z'"]
    cell = {"$ref": "#/components/schemas/GroupCell"}
    bad = {"group": "internal", "estimate": True, "se": None, "ci_low": None, "ci_high": None, "df": None}
    bad |= {"n": -1, "published": False, "suppressed": True, "note": None}
    assert check(document, cell, bad) == [
        "$.estimate: True is not of type ['number', 'null']",
        "$.n: -1 < 0",
    ]
