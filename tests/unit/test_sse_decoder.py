"""SSE decoder: every capture (whole, split at every boundary, byte by byte), WHATWG corner cases,
size limits and hypothesis fuzzing against a naive reference parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oxytui.client.events import AnswerEvent, StreamClosed, event_from_message
from oxytui.client.sse import SSEComment, SSEDecoder, SSEEventTooLarge, SSEMessage
from tests.support.sse_reference import reference_parse

CAPTURES = Path(__file__).parent.parent / "fixtures" / "captures"
ALL = sorted(CAPTURES.glob("*.sse"))
SMALL = [p for p in ALL if p.stat().st_size <= 16_000]


def decode(chunks: list[bytes], limit: int = 64 * 2**20) -> list[SSEMessage | SSEComment]:
    d = SSEDecoder(limit)
    out: list[SSEMessage | SSEComment] = []
    for c in chunks:
        out.extend(d.feed(c))
    out.extend(d.flush())
    return out


def test_all_captures_present() -> None:
    assert len(ALL) >= 14 and any(p.name == "math_big.sse" for p in ALL)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_capture_whole_matches_reference_and_ends_with_close(path: Path) -> None:
    data = path.read_bytes()
    items = decode([data])
    assert items == reference_parse(data)
    msgs = [i for i in items if isinstance(i, SSEMessage)]
    assert msgs and msgs[-1].event == "close" and msgs[-1].data == "done"
    assert all(m.retry == 3000 and m.id and len(m.id) == 16 for m in msgs)
    assert data.count(b"\r\n\r\n") == len(items)  # every event and ping accounted for


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
def test_capture_split_at_every_boundary(path: Path) -> None:
    data = path.read_bytes()
    expected = decode([data])
    for i in range(1, len(data)):
        assert decode([data[:i], data[i:]]) == expected, f"split at {i}"
    assert decode([data[i : i + 1] for i in range(len(data))]) == expected


def test_math_big_single_line_of_170kb() -> None:
    data = (CAPTURES / "math_big.sse").read_bytes()
    msgs = [
        m
        for m in decode([data[i : i + 1000] for i in range(0, len(data), 1000)])
        if isinstance(m, SSEMessage)
    ]
    biggest = max(msgs, key=lambda m: m.size)
    assert biggest.size > 170_000
    assert decode([data]) == decode([data[i : i + 1000] for i in range(0, len(data), 1000)])


def test_unicode_line_separator_is_not_a_line_break() -> None:
    data = (CAPTURES / "math_unicode.sse").read_bytes()
    assert b"\xe2\x80\xa8" in data
    answers = [event_from_message(m) for m in decode([data]) if isinstance(m, SSEMessage)]
    ans = [e for e in answers if isinstance(e, AnswerEvent)]
    assert len(ans) == 1 and "\u2028" in ans[0].content and "中文" in ans[0].content
    assert isinstance(answers[-1], StreamClosed)


def test_generated_20mb_event_in_64k_chunks() -> None:
    payload = b"x" * (20 * 2**20)
    data = b'id: a\r\nevent: message\r\ndata: {"type": "answer", "content": "' + payload + b'"}\r\n\r\n'
    items = decode([data[i : i + 65536] for i in range(0, len(data), 65536)])
    assert len(items) == 1 and items[0].size == len(payload) + 33
    ev = event_from_message(items[0])
    assert isinstance(ev, AnswerEvent) and len(ev.content) == len(payload)


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: a\n\n", [SSEMessage("message", "a", None, None, 1)]),
        (b"data:a\r\rdata: b\r\n\r\n", [SSEMessage("message", "a", None, None, 1),
                                        SSEMessage("message", "b", None, None, 1)]),
        (b"data:  two spaces\n\n", [SSEMessage("message", " two spaces", None, None, 11)]),
        (b"data: 1\ndata\ndata: 3\n\n", [SSEMessage("message", "1\n\n3", None, None, 4)]),
        (b"\xef\xbb\xbfdata: bom\n\n", [SSEMessage("message", "bom", None, None, 3)]),
        (b"event: x\nid: 7\nretry: 15\ndata: y\n\n", [SSEMessage("x", "y", "7", 15, 1)]),
        (b"id: 1\ndata: a\n\ndata: b\n\n", [SSEMessage("message", "a", "1", None, 1),
                                             SSEMessage("message", "b", "1", None, 1)]),
        (b"id: a\0b\ndata: z\n\n", [SSEMessage("message", "z", None, None, 1)]),
        (b"retry: 1x\ndata: z\n\n", [SSEMessage("message", "z", None, None, 1)]),
        (b"event: only\n\n", []),
        (b": ping - 2026\r\n\r\n", [SSEComment("ping - 2026")]),
        (b"data: unterminated", []),
        (b"foo: bar\ndata: q\n\n", [SSEMessage("message", "q", None, None, 1)]),
        (b"data: \xff\xfe bad\n\n", [SSEMessage("message", "\ufffd\ufffd bad", None, None, 6)]),
    ],
)  # fmt: skip
def test_whatwg_cases(stream: bytes, expected: list[object]) -> None:
    assert decode([stream]) == expected
    assert decode([stream[i : i + 1] for i in range(len(stream))]) == expected
    assert reference_parse(stream) == expected


def test_absurd_retry_value_does_not_crash() -> None:
    items = decode([b"retry: " + b"9" * 5000 + b"\ndata: x\n\n"])
    assert items == [SSEMessage("message", "x", None, 10**18, 1)]


def test_fast_path_and_general_path_agree_on_oxygent_framing() -> None:
    ev = b"id: abc\r\nevent: message\r\ndata: {}\r\nretry: 3000\r\n\r\n"
    odd = b"id: abc\r\nevent: message\r\ndata:{}\r\nretry: 3000\r\n\r\n"  # no space: general path
    stream = ev + odd + b": ping\r\n\r\n" + ev + b"event: close\r\ndata: done\r\n\r\n" + ev
    items = decode([stream])
    assert items == reference_parse(stream)
    assert [getattr(i, "data", None) for i in items] == ["{}", "{}", None, "{}", "done", "{}"]


def test_crlf_straddling_chunks_makes_no_phantom_event() -> None:
    ev = b"id: x\r\nevent: message\r\ndata: {}\r\nretry: 3000\r\n\r\n"
    stream = ev * 50
    cuts = [i for i in range(1, len(stream)) if stream[i - 1 : i] == b"\r"]
    for cut in cuts[:40]:
        assert len(decode([stream[:cut], stream[cut:]])) == 50


def test_too_large_is_a_clear_error_and_keeps_earlier_items() -> None:
    d = SSEDecoder(max_event_size=100)
    with pytest.raises(SSEEventTooLarge) as err:
        d.feed(b"data: ok\n\n: ping\n\ndata: " + b"y" * 200 + b"\n\n")
    assert "more than 100 bytes" in str(err.value)
    assert [type(i) for i in err.value.items] == [SSEMessage, SSEComment]
    # a partial line also counts, whatever the chunking
    d2 = SSEDecoder(max_event_size=100)
    d2.feed(b"data: " + b"y" * 50)
    with pytest.raises(SSEEventTooLarge):
        d2.feed(b"y" * 60)


def test_many_data_lines_count_toward_the_limit() -> None:
    d = SSEDecoder(max_event_size=1000)
    with pytest.raises(SSEEventTooLarge):
        d.feed((b"data: " + b"z" * 90 + b"\n") * 20)


# --- fuzzing ------------------------------------------------------------------------------------------

_sse_alphabet = st.sampled_from(
    [b"data:", b"data: ", b"event:", b"id:", b"retry:", b":", b" ", b"\r", b"\n", b"\r\n", b"x", b"1",
     b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\xff", b"\0", b"close", b"{}"]
)  # fmt: skip
sse_like = st.lists(_sse_alphabet, max_size=60).map(b"".join)
any_bytes = st.one_of(st.binary(max_size=300), sse_like)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in points:
        out.append(data[prev:p])
        prev = p
    out.append(data[prev:])
    return out


def run_limited(chunks: list[bytes], limit: int) -> tuple[list[object], bool]:
    d = SSEDecoder(limit)
    out: list[object] = []
    try:
        for c in chunks:
            out.extend(d.feed(c))
        out.extend(d.flush())
    except SSEEventTooLarge as exc:
        out.extend(exc.items)
        return out, True
    return out, False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=any_bytes, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_fuzz_chunking_never_changes_the_result(data: bytes, cuts: list[int]) -> None:
    whole = decode([data])
    assert decode(chunked(data, cuts)) == whole
    assert whole == reference_parse(data)


@settings(max_examples=300, deadline=None)
@given(data=any_bytes, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
       limit=st.integers(min_value=1, max_value=64))  # fmt: skip
def test_fuzz_only_too_large_is_raised_and_chunking_agrees(data: bytes, cuts: list[int], limit: int) -> None:
    assert run_limited(chunked(data, cuts), limit) == run_limited([data], limit)


_frame_part = st.sampled_from(
    [b"x", b"\r", b"\n", b"\r\n", b"\0", b"\xff", b"id: ", b": ping\r\n", b"data: 1\r\n", b"retry: 7\r\n"]
)  # fmt: skip


@st.composite
def oxygent_runs(draw: st.DrawFn) -> bytes:
    """Runs of OxyGent-framed events (the bulk fast path's input), some with one small defect each."""
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        sid = draw(st.sampled_from([b"a1", b"", b"\xff\xfe", b"i" * 300]))
        data = draw(st.sampled_from([b'{"type": "stream"}', b"", b"a\rb", b"x" * 5000, b"\xe2\x80\xa8"]))
        frame = b"id: %s\r\nevent: %s\r\ndata: %s\r\nretry: 3000\r\n\r\n" % (
            sid, draw(st.sampled_from([b"message", b"close", b""])), data,
        )  # fmt: skip
        if draw(st.booleans()):
            at = draw(st.integers(min_value=0, max_value=len(frame)))
            frame = frame[:at] + draw(_frame_part) + frame[at:]
        out.append(frame)
    return b"".join(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=oxygent_runs(), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=4))
def test_fuzz_oxygent_framed_runs_match_the_reference(data: bytes, cuts: list[int]) -> None:
    whole = decode([data])
    assert whole == reference_parse(data)
    assert decode(chunked(data, cuts)) == whole
