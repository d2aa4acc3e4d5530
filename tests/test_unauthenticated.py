"""C6 — the unauthenticated surface (reliability.md (c) C6).

Every URL pattern in the resolver (including the admin and every API operation, with each
method the OpenAPI schema declares) is requested without credentials. Each must answer

* API: 401 with the contract's error body ``{"code": "unauthenticated", ...}``;
* pages: a redirect to a login page, or 401/403;

except the reviewed ALLOWLIST (at most five entries). Static files are served by WhiteNoise's
middleware, outside the URL resolver, so they never show up here; they are public by design
(CSS, JS, images; no data).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

from creditvillage.api import api

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Allowed:
    names: frozenset[str]
    why: str


# Reviewed: each entry is reachable without logging in on purpose, and carries no personal data.
ALLOWLIST = [
    Allowed(
        frozenset({"login", "admin:login", "admin:logout"}),
        "the login forms (site and admin) must be reachable to log in; logging out with no session "
        "is a no-op page. Login attempts are throttled per username (C8).",
    ),
    Allowed(frozenset({"api-v1:health"}), "liveness probe for load balancers: status and engine name only"),
    Allowed(
        frozenset({"api-v1:auth_token"}),
        "exchanges a username and password for a token (401 on bad credentials, 429 when locked)",
    ),
    Allowed(
        frozenset({"api-v1:openapi-json", "api-v1:openapi-view"}),
        "the API description is a published contract (contract.md): paths and schemas, no data",
    ),
    Allowed(frozenset({"set_language"}), "i18n setlang: stores the chosen language in a cookie and redirects"),
]
ALLOWED = {name: entry for entry in ALLOWLIST for name in entry.names}

SAMPLES: dict[type, str] = {
    IntConverter: "1",
    StringConverter: "1",
    SlugConverter: "x",
    PathConverter: "x",
    UUIDConverter: str(uuid.UUID(int=1)),
}
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str  # the pattern as written, for messages
    url: str  # a concrete URL that resolves to the pattern
    callback: Any


def _concrete(segment: Any) -> str:
    pattern = segment.pattern
    text = str(pattern)
    if hasattr(pattern, "converters") and not text.startswith("^"):
        converters = pattern.converters
        return _ROUTE_PARAM.sub(lambda m: SAMPLES.get(type(converters.get(m["name"])), "1"), text)

    def group(m: re.Match[str]) -> str:
        body = m["body"]
        if re.fullmatch(r"[\w|]+", body):  # a literal alternation: take the first choice
            return body.split("|")[0]
        return "nonexistent-object/" if body == ".*" else "1"

    text = _REGEX_GROUP.sub(group, text)
    return text.lstrip("^").rstrip("$").replace("\\", "")


def endpoints() -> Iterator[Endpoint]:
    def walk(patterns: list[Any], prefix: str, route: str, namespace: str) -> Iterator[Endpoint]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + _concrete(p), route + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield Endpoint(f"{namespace}{p.name or ''}", route + str(p.pattern), prefix + _concrete(p), p.callback)

    yield from walk(get_resolver().url_patterns, "/", "/", "")


ENDPOINTS = sorted(endpoints(), key=lambda e: e.url)


def schema_methods(url: str) -> list[str]:
    """The methods the OpenAPI schema declares for the API path ``url`` resolves to."""
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        regex = "^" + re.sub(r"\{\w+\}", r"[^/]+", path) + "$"
        if re.match(regex, url):
            return [method.upper() for method in operations]
    return []


def test_every_pattern_resolves_to_itself() -> None:
    # The walk must produce URLs that reach each pattern's own view, or the test below proves nothing.
    # (ninja makes one pattern per operation: GET and POST on one path are two patterns of one route.)
    wrong = [
        (e.route, e.url)
        for e in ENDPOINTS
        if resolve(e.url).func != e.callback and resolve(e.url).route != e.route.lstrip("/")
    ]
    assert not wrong, wrong
    assert len(ENDPOINTS) > 20


def test_allowlist_is_small_and_current() -> None:
    assert len(ALLOWLIST) <= 5
    names = {e.name for e in ENDPOINTS}
    assert set(ALLOWED) <= names, f"stale allowlist entries: {set(ALLOWED) - names}"


def _request(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data=b"{}", content_type="application/json")


def _is_login_redirect(response: Any) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(("/login/", "/admin/login/"))


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name not in ALLOWED], ids=lambda e: e.url)
def test_anonymous_is_refused(endpoint: Endpoint) -> None:
    client = Client()
    if endpoint.name.startswith("api-v1:") and (methods := schema_methods(endpoint.url)):
        for method in methods:
            response = _request(client, method, endpoint.url)
            assert response.status_code == 401, (method, endpoint.url, response.status_code)
            assert response.json() == {
                "code": "unauthenticated",
                "message": response.json()["message"],
                "details": {},
            }
            # A made-up bearer token is no better than none.
            forged = client.generic(
                method,
                endpoint.url,
                data=b"{}" if method != "GET" else b"",
                content_type="application/json",
                HTTP_AUTHORIZATION="Bearer forged-token-0123456789abcdef",
            )
            assert forged.status_code == 401
        return
    response = client.get(endpoint.url)
    if response.status_code == 405:  # POST-only views (logout, export): try the method they accept
        response = client.post(endpoint.url, {})
    assert _is_login_redirect(response) or response.status_code in (401, 403, 404), (
        endpoint.url,
        response.status_code,
        response.get("Location"),
    )
    if response.status_code == 404:
        # Only the API's own root (not an operation) may be a plain 404: it serves nothing.
        assert endpoint.name == "api-v1:api-root", endpoint


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name in ALLOWED], ids=lambda e: e.url)
def test_allowlisted_endpoints_carry_no_data(endpoint: Endpoint, world: Any) -> None:
    from tests.scoping import LeakScanner, Oracle, response_text

    client = Client()
    if endpoint.name.startswith("api-v1:") and (methods := schema_methods(endpoint.url)):
        responses = [_request(client, method, endpoint.url) for method in methods]
    else:
        responses = [client.get(endpoint.url)]
    oracle = Oracle.load()
    scanner = LeakScanner(oracle)
    for response in responses:
        assert response.status_code < 500, (endpoint.url, response.status_code)
        assert not scanner.leaks(response_text(response), oracle.households), endpoint.url
