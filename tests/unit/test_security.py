"""API keys and scopes, the loopback rule and the body size limit (no services)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.api import security
from services.api.errors import install_error_handlers
from shared import apikeys
from shared.settings import Settings, get_settings

INGEST_KEY, SEARCH_KEY, ADMIN_KEY = "ingest-key-1", "search-key-2", "admin-key-3"


def _keys() -> str:
    return json.dumps(
        {
            apikeys.hash_api_key(INGEST_KEY): ["ingest"],
            apikeys.hash_api_key(SEARCH_KEY): ["search"],
            apikeys.hash_api_key(ADMIN_KEY): ["admin"],
        }
    )


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/read", dependencies=[Depends(security.require_scope("ingest", "search"))])
    def read() -> dict[str, str]:
        return {"ok": "read"}

    @app.post("/admin", dependencies=[Depends(security.require_scope("admin"))])
    def admin() -> dict[str, str]:
        return {"ok": "admin"}

    by_method = security.require_scope_by_method({"POST": ("ingest",), "GET": ("search",)})

    @app.api_route("/doc", methods=["GET", "POST"], dependencies=[Depends(by_method)])
    def doc(request: Request) -> dict[str, str]:
        return {"ok": request.method}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(security.BodyLimits, max_bytes=100)
    app.add_middleware(security.AuthenticateBeforeBody)
    app.add_middleware(security.LoopbackOnlyWithoutKeys)
    app.add_middleware(security.TrustedForwardedFor)
    install_error_handlers(app)
    return app


def test_hash_is_sha256_hex() -> None:
    assert apikeys.hash_api_key("secret") == (
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    )


def test_key_table_refuses_a_plain_key_and_unknown_scopes() -> None:
    with pytest.raises(ValueError, match="not a sha256 hex digest") as info:
        apikeys.KeyTable.from_settings(Settings(api_keys={"my-plain-key": ["admin"]}))
    assert "my-plain-key" not in str(info.value)  # never echo what might be a key
    with pytest.raises(ValueError, match="unknown scopes"):
        apikeys.KeyTable.from_settings(Settings(api_keys={"a" * 64: ["root"]}))


def test_key_table_finds_scopes_by_digest() -> None:
    table = apikeys.KeyTable.from_settings(Settings(api_keys=json.loads(_keys())))
    assert table.scopes_of(SEARCH_KEY) == frozenset({"search"})
    assert table.scopes_of("wrong") is None
    assert table.scopes_of("") is None


def test_scopes_are_enforced(settings_env: Callable[..., None]) -> None:
    settings_env(api_keys=_keys())
    client = TestClient(_app())
    no_key = client.get("/read")
    assert no_key.status_code == 401
    assert no_key.json()["reason"] == "api_key_required"
    assert no_key.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/read", headers={"X-API-Key": "nope"}).json()["reason"] == "invalid_api_key"
    assert client.get("/read", headers={"X-API-Key": SEARCH_KEY}).status_code == 200
    assert client.get("/read", headers={"Authorization": f"Bearer {INGEST_KEY}"}).status_code == 200
    refused = client.post("/admin", headers={"X-API-Key": SEARCH_KEY})
    assert refused.status_code == 403
    assert refused.json()["reason"] == "insufficient_scope"
    assert client.post("/admin", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
    # Admin may do everything; otherwise the method decides.
    assert client.get("/read", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
    assert client.post("/doc", headers={"X-API-Key": INGEST_KEY}).status_code == 200
    assert client.get("/doc", headers={"X-API-Key": INGEST_KEY}).status_code == 403
    assert client.get("/doc", headers={"X-API-Key": SEARCH_KEY}).status_code == 200


def test_without_keys_every_local_caller_has_every_scope(
    settings_env: Callable[..., None],
) -> None:
    settings_env(api_keys="{}")
    client = TestClient(_app())
    assert client.post("/admin").status_code == 200


def test_without_keys_remote_clients_are_refused(settings_env: Callable[..., None]) -> None:
    settings_env(api_keys="{}")
    remote = TestClient(_app(), client=("203.0.113.7", 5000))
    answer = remote.get("/read")
    assert answer.status_code == 403
    assert answer.json()["reason"] == "auth_not_configured"
    local = TestClient(_app(), client=("127.0.0.1", 5000))
    assert local.get("/read").status_code == 200
    settings_env(api_allow_unauthenticated="true")
    get_settings.cache_clear()
    assert remote.get("/read").status_code == 200


def test_with_keys_remote_clients_need_a_key(settings_env: Callable[..., None]) -> None:
    settings_env(api_keys=_keys())
    remote = TestClient(_app(), client=("203.0.113.7", 5000))
    assert remote.get("/read").status_code == 401
    assert remote.get("/read", headers={"X-API-Key": SEARCH_KEY}).status_code == 200


def test_check_exposure_refuses_a_public_host_without_keys() -> None:
    with pytest.raises(RuntimeError, match="refusing to serve"):
        security.check_exposure(Settings(api_host="0.0.0.0", api_keys={}))
    security.check_exposure(Settings(api_host="127.0.0.1", api_keys={}))
    security.check_exposure(Settings(api_host="::1", api_keys={}))
    security.check_exposure(Settings(api_host="0.0.0.0", api_allow_unauthenticated=True))
    keys = {apikeys.hash_api_key("k"): ["admin"]}
    security.check_exposure(Settings(api_host="0.0.0.0", api_keys=keys))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("10.0.0.5", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert security.is_loopback(host) is loopback


def test_bodies_over_the_limit_are_refused_before_parsing() -> None:
    client = TestClient(_app())
    assert client.post("/echo", content=b"x" * 100).json() == {"size": 100}
    big = client.post("/echo", content=b"x" * 101)
    assert big.status_code == 413
    assert big.json()["reason"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 30

    streamed = client.post("/echo", content=chunks())
    assert streamed.status_code == 413
    small = client.post("/echo", content=iter([b"a" * 40, b"b" * 40]))
    assert small.json() == {"size": 80}


def test_unknown_routes_and_methods_carry_a_reason() -> None:
    client = TestClient(_app())
    assert client.get("/nowhere").json()["reason"] == "not_found"
    assert client.delete("/read").json()["reason"] == "method_not_allowed"


def test_cli_hashes_a_key_without_echoing_it() -> None:
    from services.cli.main import app

    result = CliRunner().invoke(app, ["apikey", "hash", "secret", "--scope", "search"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {apikeys.hash_api_key("secret"): ["search"]}
    piped = CliRunner().invoke(app, ["apikey", "hash"], input="secret\n")
    assert piped.stdout.strip() == apikeys.hash_api_key("secret")


# --- issue 9: authentication before the body, trusted proxies, the real bind address -----


def test_a_body_without_a_valid_key_is_refused_before_it_is_read(
    settings_env: Callable[..., None],
) -> None:
    settings_env(api_keys=_keys())
    reads: list[int] = []
    app = _app()

    @app.post("/v1/count")
    async def count(request: Request) -> dict[str, int]:
        reads.append(1)
        return {"size": len(await request.body())}

    client = TestClient(app, client=("203.0.113.7", 5000))
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        refused = client.post("/v1/count", content=b"x" * 50, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["reason"] in ("api_key_required", "invalid_api_key")
        assert isinstance(refused.json()["detail"], str)  # flat, not nested
    assert reads == []  # the route (and so the body read) was never reached
    served = client.post("/v1/count", content=b"x" * 50, headers={"X-API-Key": INGEST_KEY})
    assert served.json() == {"size": 50}


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    settings_env: Callable[..., None],
) -> None:
    """Without keys only local clients are served: which client is local decides."""
    proxy = TestClient(_app(), client=("127.0.0.1", 5000))
    remote = {"X-Forwarded-For": "198.51.100.9"}
    # No trusted proxies configured: the header is ignored, the peer (loopback) is the client.
    assert proxy.get("/read", headers=remote).status_code == 200
    settings_env(api_trusted_proxies='["127.0.0.1", "10.0.0.0/8"]')
    # From a trusted proxy, the forwarded address is the client: a remote one is refused.
    assert proxy.get("/read", headers=remote).status_code == 403
    assert proxy.get("/read", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    # The right-most address that is not one of our proxies; a chain through 10.x counts.
    chain = {"X-Forwarded-For": "127.0.0.1, 198.51.100.9, 10.1.2.3"}
    assert proxy.get("/read", headers=chain).status_code == 403
    # A value that is not an address is refused, never taken for a local name.
    for bad in ("evil", "127.0.0.1, evil", ""):
        answer = proxy.get("/read", headers={"X-Forwarded-For": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["reason"] == "invalid_forwarded_for"
    # An untrusted peer cannot claim to be local.
    stranger = TestClient(_app(), client=("203.0.113.7", 5000))
    assert stranger.get("/read", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_a_client_named_by_an_unchecked_forwarded_header_is_not_local() -> None:
    """`uvicorn --proxy-headers` copies a non-address X-Forwarded-For into the client."""
    client = TestClient(_app(), client=("evil", 0))
    assert client.get("/read", headers={"X-Forwarded-For": "evil"}).status_code == 403


def test_exposure_check_uses_the_address_really_bound() -> None:
    settings = Settings(api_host="127.0.0.1", api_keys={})
    security.check_exposure(settings)
    with pytest.raises(RuntimeError, match=r"0\.0\.0\.0"):
        security.check_exposure(settings, bind_host="0.0.0.0")
    with pytest.raises(RuntimeError):
        security.check_exposure(settings, bind_host="::")
    security.check_exposure(settings, bind_host="::1")


def test_server_entry_point_refuses_a_public_bind_without_keys(
    settings_env: Callable[..., None],
) -> None:
    from services.api import server

    settings_env(api_host="127.0.0.1")
    with pytest.raises(RuntimeError, match="without API keys"):
        server.main(["--host", "0.0.0.0", "--port", "0"])
    config = server.build_config(Settings(api_header_timeout_s=3, api_keep_alive_s=4), "::1", 1)
    assert (config.host, config.timeout_keep_alive, config.proxy_headers) == ("::1", 4, False)
    assert config.http.header_timeout_s == 3  # type: ignore[union-attr]


def test_a_body_that_does_not_arrive_in_time_is_a_408(settings_env: Callable[..., None]) -> None:
    import asyncio

    settings_env(api_body_timeout_s="0.2")
    app = _app()
    sent: list[dict[str, object]] = []

    async def run() -> None:
        async def receive() -> dict[str, object]:
            await asyncio.sleep(3600)  # the declared body never comes
            return {}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/echo",
            "raw_path": b"/echo",
            "query_string": b"",
            "headers": [(b"content-length", b"50")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "scheme": "http",
            "http_version": "1.1",
            "root_path": "",
        }
        await asyncio.wait_for(app(scope, receive, send), timeout=5)  # type: ignore[arg-type]

    asyncio.run(run())
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["reason"] == "body_timeout"  # type: ignore[arg-type]
