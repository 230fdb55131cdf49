"""HTTPS enforcement (with a real self-signed TLS server) and token redaction everywhere."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from oxytui.client import (
    OxyState,
    SSEOxyGent,
    agent_from_profile,
)
from tests.support.captures import capture
from tests.support.scripted_server import (
    Handler,
    Json,
    Replay,
    ScriptedServer,
    Status,
    free_port,
    self_signed_context,
)

TOKEN = "tok-3f9a-super-secret-value"
MATH = capture("math_add")


def test_require_https_refuses_plain_http() -> None:
    # construction: pydantic.ValidationError on server_url, as OxyGent's agents raise
    with pytest.raises(ValidationError, match="require_https is set but server_url is 'http://x:1'"):
        SSEOxyGent(name="n", server_url="http://x:1", require_https=True)
    with pytest.raises(ValueError, match="plain HTTP"):
        agent_from_profile("production", name="n", server_url="http://x:1", require_https=False)
    assert agent_from_profile("production", name="n", server_url="https://x:1").is_share_call_stack is False
    with pytest.raises(ValidationError, match="http:// or https://"):
        SSEOxyGent(name="n", server_url="ftp://x")


async def test_require_https_is_checked_again_at_request_time() -> None:
    agent = SSEOxyGent(name="n", server_url="https://127.0.0.1:1", require_https=True, max_retries=0)
    agent.server_url = "http://127.0.0.1:1"
    resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED and "require_https" in resp.output
    await agent.aclose()


async def test_https_with_self_signed_certificate(tmp_path: Path) -> None:
    ctxs = self_signed_context(tmp_path)
    if ctxs is None:
        pytest.skip("openssl CLI not available")
    server_ctx, client_ctx = ctxs
    async with ScriptedServer(ssl=server_ctx) as srv:
        srv.on("POST", "/sse/chat", Replay(MATH))
        async with SSEOxyGent(name="n", server_url=srv.url, require_https=True, ssl=client_ctx) as ok:
            resp = await ok.execute(ok.build_request("add 2 3"))
            assert resp.state is OxyState.COMPLETED and resp.output == "Final answer (via add): 5"
        async with SSEOxyGent(name="n", server_url=srv.url, require_https=True, max_retries=3) as strict:
            resp = await strict.execute(strict.build_request("x"))  # system CAs: the cert is rejected
            assert resp.state is OxyState.FAILED and "TLS certificate rejected" in resp.output
            assert strict.get_connection_stats()["retries"] == 0  # a bad certificate is not retried


async def test_token_is_sent_but_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def echo_auth(req, w) -> bool:  # type: ignore[no-untyped-def]
        body = f"denied for {req.headers.get('authorization')}".encode()
        w.write(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await w.drain()
        return True

    async with ScriptedServer() as srv:
        srv.on("POST", "/sse/chat", Handler(echo_auth))
        srv.on("GET", "/get_organization", Json({"code": 401, "message": f"bad token {TOKEN}"}))
        agent = SSEOxyGent(name="n", server_url=srv.url, token=TOKEN, headers={"X-Api-Key": "key-abcdef"})
        resp = await agent.execute(agent.build_request("x"))
        assert srv.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
        assert srv.requests[0].headers["x-api-key"] == "key-abcdef"
        with pytest.raises(Exception) as err:
            await agent.init()
        texts = [repr(agent), str(agent.token), repr(agent.token), resp.output, str(resp.extra),
                 str(agent.get_connection_stats()), str(err.value), caplog.text]  # fmt: skip
        await agent.aclose()
    assert resp.state is OxyState.FAILED and "HTTP 401" in resp.output and "***" in resp.output
    for text in texts:
        assert TOKEN not in text
    assert "key-abcdef" not in repr(agent)


def test_url_credentials_are_not_shown() -> None:
    agent = SSEOxyGent(name="n", server_url=f"http://user:pw-secret@127.0.0.1:{free_port()}")
    assert "pw-secret" not in repr(agent)


async def test_client_redaction_uses_the_shared_rules(caplog: pytest.LogCaptureFixture) -> None:
    """A node's error body echoing someone else's credential (not our token) is masked like everywhere
    else in oxytui (:mod:`oxytui.redact`), and so is a credential-named custom header's value."""
    other = "sk-other-caller-credential-77"
    body = f'{{"detail": "upstream refused", "api_key": "{other}", "X-Auth-Token": "hdr-secret-9"}}'.encode()
    async with ScriptedServer() as srv:
        srv.on("POST", "/sse/chat", Status(502, body))
        agent = SSEOxyGent(
            name="n", server_url=srv.url, headers={"X-Auth-Token": "hdr-secret-9"}, max_retries=0
        )
        with caplog.at_level(logging.DEBUG, logger="oxytui.client"):
            resp = await agent.execute(agent.build_request("x"))
        await agent.aclose()
    assert resp.state is OxyState.FAILED and "HTTP 502" in resp.output and "upstream refused" in resp.output
    for text in (resp.output, str(resp.extra), str(agent.get_connection_stats()), caplog.text):
        assert other not in text and "hdr-secret-9" not in text
