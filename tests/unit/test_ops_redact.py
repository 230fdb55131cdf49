"""The shared secret scrubber (oxytui.redact): known tokens, credential-shaped values, what is kept."""

from __future__ import annotations

import json

import pytest

from oxytui.ops.record import Recorder, read_recording
from oxytui.redact import MASK, remember, scrub_text, scrub_value

KNOWN = "tok-unit-KNOWN-4242"


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        (f"your token is {KNOWN}!", KNOWN),
        ("Authorization: Bearer abcdefgh12345", "abcdefgh12345"),
        ("authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("proxy-authorization: Bearer zz-999-yy", "zz-999-yy"),
        ('{"x-api-key": "k-7777"}', "k-7777"),
        ('{"output": "{\\"x-auth-token\\": \\"tok-555\\"}"}', "tok-555"),
        ("Cookie: sid=abc123; theme=dark", "abc123"),
        ("set-cookie: id=xyz789; Path=/; HttpOnly", "xyz789"),
        ("curl -H 'x-api-key: s3cret99' http://x", "s3cret99"),
        ("client_secret=s3cr3t-val&x=1", "s3cr3t-val"),
        ("GET /cb?access_token=at-1234 HTTP/1.1", "at-1234"),
        ("sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig to the node", "eyJhbGciOiJIUzI1NiJ9"),
    ],
)
def test_secrets_are_masked(text: str, gone: str) -> None:
    remember(KNOWN)
    out = scrub_text(text)
    assert gone not in out and MASK in out
    assert scrub_text(out) == out  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "Final answer (via add): 5",
        '{"prompt_tokens": 12, "total_tokens": 42}',
        "max_tokens=100 temperature=0.7",
        "the bearer of bad news",
        "tokens used: 532",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert scrub_text(text) == text


def test_values_keys_and_depth() -> None:
    value = {
        "headers": {"Authorization": "Bearer x", "Cookie": "a=1", "X-Trace": "visible"},
        "usage": {"total_tokens": 42},
        "list": ["Bearer abcdefghij", {"api_key": "k"}],
        f"{KNOWN}-as-key": 1,
    }
    remember(KNOWN)
    out = scrub_value(value)
    assert out["headers"] == {"Authorization": MASK, "Cookie": MASK, "X-Trace": "visible"}
    assert out["usage"] == {"total_tokens": 42} and out["list"] == ["Bearer ***", {"api_key": MASK}]
    assert KNOWN not in json.dumps(out) and value["headers"]["Cookie"] == "a=1"  # a copy
    deep: list = []
    cur = deep
    for _ in range(50_000):  # iterative: no RecursionError
        cur.append([])
        cur = cur[0]
    capped = scrub_value(deep, max_depth=10)
    assert json.dumps(capped).count("[") == 10 and "elided" in json.dumps(capped)


def test_recorder_masks_credential_headers_it_was_not_told_about(tmp_path) -> None:
    from oxytui.client.sse import SSEMessage

    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        data = json.dumps({"type": "answer", "content": "x-api-key: upstream-7f7f7f"})
        rec.wire_tap("n", "T", SSEMessage("message", data, "1", None, len(data)), 1.0)
    assert "upstream-7f7f7f" not in path.read_text()
    assert [json.loads(r.data)["content"] for r in read_recording(path)] == ["x-api-key: ***"]
