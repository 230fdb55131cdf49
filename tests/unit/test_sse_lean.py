"""The client's lean hot path (``feed_lean`` + ``lean_event``) must give exactly what ``feed`` +
``fast_event`` give: same messages (data decoded only on demand), same typed events, any chunking,
invalid UTF-8 included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oxytui.client._fastevents import fast_event, lean_event
from oxytui.client.sse import SSEComment, SSEDecoder, SSEEventTooLarge, SSEMessage, lean_to_message
from tests.support.sse_reference import reference_parse

CAPTURES = Path(__file__).parent.parent / "fixtures" / "captures"


def run(chunks: list[bytes], lean: bool, limit: int = 64 * 2**20) -> tuple[list[Any], bool]:
    d = SSEDecoder(limit)
    out: list[Any] = []
    try:
        for c in chunks:
            out.extend(d.feed_lean(c) if lean else d.feed(c))
        out.extend(d.flush())
    except SSEEventTooLarge as exc:
        out.extend(exc.items)
        return out, True
    return out, False


def normalise(items: list[Any]) -> list[SSEMessage | SSEComment]:
    return [lean_to_message(i) if type(i) is tuple else i for i in items]


def typed(item: Any) -> Any:
    if type(item) is tuple:
        return lean_event(item, "n", "t", 1.0, 2.0)
    return fast_event(item, "n", "t", 1.0, 2.0)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in points:
        out.append(data[prev:p])
        prev = p
    out.append(data[prev:])
    return out


def frame(data: bytes, sid: bytes = b"abc", event: bytes = b"message", retry: bytes = b"3000") -> bytes:
    return (
        b"id: " + sid + b"\r\nevent: " + event + b"\r\ndata: " + data + b"\r\nretry: " + retry + b"\r\n\r\n"
    )


@pytest.mark.parametrize("path", sorted(CAPTURES.glob("*.sse")), ids=lambda p: p.name)
def test_lean_equals_feed_on_every_capture(path: Path) -> None:
    body = path.read_bytes()
    for size in (len(body) or 1, 16_381, 1000):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        lean, _ = run(chunks, True)
        full, _ = run(chunks, False)
        assert normalise(lean) == full
        assert [m.raw for m in normalise(lean) if type(m) is SSEMessage] == [
            m.raw for m in full if type(m) is SSEMessage
        ]
        for a, b in zip(lean, full, strict=True):
            if type(b) is SSEMessage:
                x = (
                    lean_event(a, "n", "t", 1.0, 2.0)
                    if type(a) is tuple
                    else fast_event(a, "n", "t", 1.0, 2.0)
                )
                y = fast_event(b, "n", "t", 1.0, 2.0)
                assert type(x) is type(y) and x == y


def test_lean_event_invalid_utf8_and_odd_data_match_general_builder() -> None:
    datas = [
        b'{"type": "answer", "content": "bad \xff\xfe bytes"}',
        b'{"type": "stream", "content": {"delta": "\xed\xa0\x80", "agent": "a", "node_id": "n"}}',
        b"plain text \xc3",
        b"123",
        b'"{\\"type\\": \\"think\\", \\"content\\": \\"x\\"}"',
        b" " * 3 + b'{"type": "think", "content": "spaced"}',
        b"",
        b"Infinity",
    ]
    stream = b"".join(frame(d) for d in datas) + frame(b"done", event=b"close")
    lean, _ = run([stream], True)
    full, _ = run([stream], False)
    assert len(lean) == len(full) == len(datas) + 1
    for a, b in zip(lean, full, strict=True):
        x, y = typed(a), typed(b)
        assert type(x) is type(y) and x == y


def test_huge_event_in_lean_mode_is_not_decoded_but_equal() -> None:
    payload = json.dumps({"type": "answer", "content": "é✓" * 300_000}, ensure_ascii=False).encode()
    body = frame(payload) + frame(b"done", event=b"close")
    chunks = [body[i : i + 16_381] for i in range(0, len(body), 16_381)]
    lean, _ = run(chunks, True)
    assert type(lean[0]) is tuple and lean[0][1] == payload
    ev = lean_event(lean[0], "n", "t", 1.0, 2.0)
    assert ev.content == "é✓" * 300_000 and ev.size == len(payload)  # type: ignore[attr-defined]


_alphabet = st.sampled_from(
    [b"data:", b"data: ", b"event:", b"event: message", b"id: ", b"retry: 3000", b":", b" ", b"\r", b"\n",
     b"\r\n", b"\r\n\r\n", b"x", b"1", b"\xff", b"\0", b"close", b'{"type": "think", "content": "a"}',
     frame(b'{"type": "answer", "content": 1}'), frame(b"{}", retry=b"x"), frame(b"\xff{}")]
)  # fmt: skip
sse_like = st.lists(_alphabet, max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=200), sse_like),
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
       limit=st.sampled_from([8, 40, 64 * 2**20]))  # fmt: skip
def test_fuzz_lean_equals_feed_and_reference(data: bytes, cuts: list[int], limit: int) -> None:
    lean, lean_err = run(chunked(data, cuts), True, limit)
    full, full_err = run(chunked(data, cuts), False, limit)
    assert (normalise(lean), lean_err) == (full, full_err)
    if limit > 1000:
        assert full == reference_parse(data)


@pytest.mark.parametrize("limit", [64 * 2**20, 200_000, 150_006, 150_005, 70_000])
def test_big_data_lines_match_reference_and_limits(limit: int) -> None:
    big = b"x" * 100_000
    stream = (
        b"id: 1\r\ndata: " + big + b"\r\ndata: " + big[:50_000] + b"\r\n\r\n"
        + b"data:" + big + b"\n\n" + b"data: " + big + b"\rdata: tail\r\r" + frame(b"{}")
    )  # fmt: skip
    for size in (len(stream), 16_381, 65_537):
        chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
        lean, lean_err = run(chunks, True, limit)
        full, full_err = run(chunks, False, limit)
        assert (normalise(lean), lean_err) == (full, full_err)
        whole, whole_err = run([stream], False, limit)
        assert (full, full_err) == (whole, whole_err)
        if limit >= 200_000:  # more than any one event
            assert full == reference_parse(stream) and not full_err
        elif limit == 70_000:  # less than one 100 KB line
            assert full_err
