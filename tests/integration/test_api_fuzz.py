"""Property-based fuzzing of every operation of the app's own OpenAPI spec (hypothesis).

For each operation, requests are generated from its parameter and body schemas: values that
fit the schema, values just outside it (too long, out of range, wrong type), hostile strings
and raw garbage bodies. The properties: never a 5xx, and every 4xx says why (`reason`).
Thousands of requests in all, against the real app, store and index (no workers).
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import wipe_store
from tests.reliability.chaos import submit, synthetic_article

pytestmark = [pytest.mark.integration]

EXAMPLES = int(os.environ.get("NEWSFLOW_FUZZ_EXAMPLES", "220"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "*",
        "*:*",
        "_all",
        "../../etc/passwd",
        "%00",
        "\\",
        '"',
        "'; DROP TABLE articles; --",
        '{"query": {"match_all": {}}}',
        "<script>alert(1)</script>",
        "\u202e\u200b\ufeff",
        "日本語",
        "\U0001f642",
        "9" * 40,
        "-1",
        "1e309",
        "NaN",
        "null",
        "true",
        "x" * 5000,
        "(" * 300,
    ]
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=80,
)
SAFE_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.:/", max_size=40)
HEX_ID = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


class Spec:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.spec["components"]["schemas"][name]
        return schema

    def valid(self, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        """Values that fit `schema` (roughly: formats and patterns are approximated)."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "const" in schema:
            return st.just(schema["const"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return st.one_of([self.valid(s, depth) for s in schema[key]])
        if "allOf" in schema:
            return self.valid(schema["allOf"][0], depth)
        kind = schema.get("type")
        if kind == "string":
            if schema.get("format") == "date-time":
                return st.datetimes().map(lambda d: d.isoformat())
            if schema.get("format") == "date":
                return st.dates().map(lambda d: d.isoformat())
            if "pattern" in schema:
                return st.from_regex(schema["pattern"], fullmatch=True)
            low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
            return st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
                min_size=low,
                max_size=min(high, low + 60),
            )
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", -(10**6)))
            high = schema.get("maximum", schema.get("exclusiveMaximum", 10**6))
            return st.integers(low, high)
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            items = self.valid(schema.get("items", {}), depth + 1)
            return st.lists(items, max_size=min(schema.get("maxItems", 4), 4))
        if kind == "object" or "properties" in schema:
            if depth > 3:
                return st.just({})
            properties = schema.get("properties", {})
            required = set(schema.get("required", []))
            if {"text", "html"} <= properties.keys():
                return self._article(properties)
            return st.fixed_dictionaries(
                {k: self.valid(v, depth + 1) for k, v in properties.items() if k in required},
                optional={
                    k: self.valid(v, depth + 1) for k, v in properties.items() if k not in required
                },
            )
        return json_values()

    def _article(self, properties: dict[str, Any]) -> st.SearchStrategy[Any]:
        """An article body: exactly one of `text` or `html`, as the ingest contract wants."""
        others = {k: self.valid(v, 1) for k, v in properties.items() if k not in ("text", "html")}
        content = st.one_of(
            st.fixed_dictionaries({"text": TEXT.filter(str.strip)}),
            st.fixed_dictionaries({"html": TEXT.map(lambda t: f"<p>{t}</p>")}),
            st.integers(0, 10**6).map(lambda n: {"text": f"Title {n}\n\nBody of article {n}."}),
        )
        return st.tuples(content, st.fixed_dictionaries({}, optional=others)).map(
            lambda pair: {**pair[1], **pair[0]}
        )

    def any_value(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        """Mostly valid values, often invalid ones."""
        return st.one_of(
            self.valid(schema),
            self.valid(schema),
            HOSTILE_TEXT,
            TEXT,
            st.integers(),
            st.booleans(),
        )


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT, HOSTILE_TEXT
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(SAFE_TEXT, inner, max_size=4)
        ),
        max_leaves=12,
    )


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


@st.composite
def requests(
    draw: st.DrawFn, spec: Spec, path: str, method: str, op: dict[str, Any], known: list[str]
) -> dict[str, Any]:
    """One request: well-formed (valid values, a few parameters, the declared media type)
    more than half the time, else with invalid values, unknown parameters, odd bodies."""
    well_formed = draw(st.integers(0, 9)) < 6
    url = path
    params: dict[str, Any] = {}
    query = [p for p in op.get("parameters", []) if p["in"] == "query"]
    required = [p for p in query if p.get("required")]
    optional = [p for p in query if not p.get("required")]
    chosen = required + (
        draw(st.lists(st.sampled_from(optional), max_size=3, unique_by=lambda p: p["name"]))
        if optional
        else []
    )
    for parameter in op.get("parameters", []):
        if parameter["in"] != "path":
            continue
        ids = st.sampled_from(known) if known else HEX_ID
        value = draw(
            ids
            if well_formed
            else st.one_of(ids, HEX_ID, SAFE_TEXT.filter(bool), HOSTILE_TEXT.filter(bool))
        )
        url = url.replace("{" + parameter["name"] + "}", str(value).replace("/", "%2F"))
    if not well_formed:
        chosen = [p for p in query if draw(st.booleans())]
    for parameter in chosen:
        schema = parameter.get("schema", {})
        value = draw(spec.valid(schema) if well_formed else spec.any_value(schema))
        params[parameter["name"]] = _query_value(value)
    if not well_formed and draw(st.booleans()):
        params[draw(SAFE_TEXT.filter(bool))] = draw(SAFE_TEXT)
    request: dict[str, Any] = {"method": method.upper(), "url": url, "params": params}
    body = op.get("requestBody", {}).get("content", {})
    if body:
        media, content = draw(st.sampled_from(sorted(body.items())))
        schema = content.get("schema", {})
        choice = 0 if well_formed else draw(st.integers(1, 3))
        payload = draw(spec.valid(schema)) if choice < 2 else draw(json_values())
        if choice == 3:
            request["content"] = draw(
                st.one_of(st.binary(max_size=300), HOSTILE_TEXT.map(str.encode))
            )
        elif media == "application/x-ndjson" and isinstance(payload, list):
            request["content"] = "\n".join(json.dumps(p) for p in payload).encode()
        else:
            request["content"] = json.dumps(payload).encode()
        types = [media] if well_formed else [media, "text/plain", "application/xml", ""]
        request["headers"] = {"content-type": draw(st.sampled_from(types))}
    return request


@pytest.fixture(scope="module")
def client(stack: dict[str, str]) -> Iterator[TestClient]:
    from services.api.app import create_app

    wipe_store(stack)
    # A few stored articles, so that ids and filters sometimes hit something.
    KNOWN_IDS[:] = submit([synthetic_article(i, seed=77) for i in range(5)])
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client
    wipe_store(stack)


def _operations() -> list[tuple[str, str]]:
    from services.api.app import create_app

    spec = create_app().openapi()
    return [(path, method) for path, item in spec["paths"].items() for method in item]


REQUESTS_SENT: list[int] = []
KNOWN_IDS: list[str] = []


@pytest.mark.parametrize(("path", "method"), _operations())
def test_no_operation_answers_5xx_and_every_4xx_has_a_reason(
    client: TestClient, path: str, method: str
) -> None:
    spec = Spec(client.app.openapi())  # type: ignore[attr-defined]
    op = spec.spec["paths"][path][method]

    @FUZZ
    @given(request=requests(spec, path, method, op, KNOWN_IDS))
    def check(request: dict[str, Any]) -> None:
        response = client.request(**request)
        REQUESTS_SENT.append(1)
        assert response.status_code < 500, (request, response.status_code, response.text[:300])
        if 400 <= response.status_code < 500:
            body = response.json()
            assert isinstance(body, dict), body
            assert isinstance(body.get("reason"), str), (request, response.text[:300])
            assert body["reason"], body

    check()


def test_thousands_of_requests_were_sent() -> None:
    if REQUESTS_SENT:  # when the operations above ran in this session
        assert len(REQUESTS_SENT) >= min(2000, 8 * EXAMPLES)
