"""A raw-socket HTTP/1.1 server for tests: replays capture bytes exactly, or misbehaves on command.

Why raw sockets and not aiohttp.web: tests need byte-level control (exact chunking, a connection cut
in the middle of an event, headers and then silence) that a real framework smooths over.

Usage::

    async with ScriptedServer() as srv:                 # 127.0.0.1, ephemeral port
        srv.on("POST", "/sse/chat", Replay(capture_bytes, chunk_size=7))
        srv.on("GET", "/check_alive", Json({"alive": 1}))
        srv.on("POST", "/sse/chat", [Status(503, b"busy"), Replay(data)])  # one per request, last repeats
        ... client against srv.url ...
        srv.requests[0].json()                           # what the client sent

Responses (all plain dataclasses, combine freely):
    Replay(data, chunk_size=None, chunks=None, delay=0.0, cut=False, hang=False, headers=None)
        200 ``text/event-stream`` with HTTP chunked encoding (as uvicorn sends). ``chunk_size`` or an
        explicit list of ``chunks`` (byte sizes) controls the write pattern; ``delay`` sleeps between
        writes; ``cut=True`` drops the TCP connection after the data (no terminating chunk);
        ``hang=True`` keeps the connection open and silent after the data (idle-timeout tests).
    Status(code, body=b"", content_type="text/plain; charset=utf-8", delay=0.0)
    Json(obj, status=200)
    Drop()    accept the request, then close the socket without any response
    Silent()  accept the request and never answer (the socket stays open)
    Handler(fn)  ``async fn(request, writer)`` writes whatever it wants; return True to keep alive

``free_port()`` returns a port on 127.0.0.1 that nobody listens on (for connection-refused tests);
``with unresponsive_port() as port:`` one whose TCP connects hang (for connect-timeout tests).
``self_signed_context(tmpdir)`` builds a server SSLContext with a fresh self-signed certificate via the
``openssl`` CLI (``None`` if openssl is missing) and the matching client context.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Drop",
    "Handler",
    "Json",
    "ReceivedRequest",
    "Replay",
    "ScriptedServer",
    "Silent",
    "Status",
    "free_port",
    "self_signed_context",
    "unresponsive_port",
]

SSE_HEADERS = (
    b"server: uvicorn\r\ncache-control: no-store\r\nconnection: keep-alive\r\n"
    b"x-accel-buffering: no\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"vary: Origin\r\nTransfer-Encoding: chunked\r\n"
)
_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout", 401: "Unauthorized"}  # fmt: skip


@dataclass(slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(slots=True)
class Replay:
    data: bytes
    chunk_size: int | None = None
    chunks: list[int] | None = None
    delay: float = 0.0
    cut: bool = False
    hang: bool = False
    headers: bytes = SSE_HEADERS


@dataclass(slots=True)
class Status:
    code: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    delay: float = 0.0


@dataclass(slots=True)
class Json:
    obj: Any
    status: int = 200


@dataclass(slots=True)
class Drop:
    pass


@dataclass(slots=True)
class Silent:
    pass


@dataclass(slots=True)
class Handler:
    fn: Callable[[ReceivedRequest, asyncio.StreamWriter], Awaitable[bool]]


Response = Replay | Status | Json | Drop | Silent | Handler


@dataclass
class ScriptedServer:
    """See the module docstring. ``connections`` counts accepted TCP connections."""

    host: str = "127.0.0.1"
    port: int = 0
    ssl: ssl.SSLContext | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    connections: int = 0
    _routes: dict[tuple[str, str], list[Response]] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def on(self, method: str, path: str, response: Response | list[Response]) -> None:
        """Script ``path``: one response per request in order; the last one repeats."""
        self._routes[(method.upper(), path)] = list(response) if isinstance(response, list) else [response]

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def __aenter__(self) -> ScriptedServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _next(self, method: str, path: str) -> Response:
        script = self._routes.get((method, path.split("?", 1)[0]))
        if not script:
            return Status(404, b"not scripted")
        return script.pop(0) if len(script) > 1 else script[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                req = await _read_request(reader)
                if req is None:
                    return
                self.requests.append(req)
                if not await self._respond(req, self._next(req.method, req.path), writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _respond(self, req: ReceivedRequest, resp: Response, w: asyncio.StreamWriter) -> bool:
        """Write one response; False closes the connection afterwards."""
        if isinstance(resp, Json):
            resp = Status(resp.status, json.dumps(resp.obj).encode(), "application/json")
        if isinstance(resp, Status):
            if resp.delay:
                await asyncio.sleep(resp.delay)
            reason = _REASONS.get(resp.code, "Status")
            head = (
                f"HTTP/1.1 {resp.code} {reason}\r\nserver: uvicorn\r\ncontent-length: {len(resp.body)}\r\n"
                f"content-type: {resp.content_type}\r\n\r\n"
            )
            w.write(head.encode() + resp.body)
            await w.drain()
            return True
        if isinstance(resp, Drop):
            return False
        if isinstance(resp, Silent):
            await asyncio.Event().wait()
            return False
        if isinstance(resp, Handler):
            return await resp.fn(req, w)
        w.write(b"HTTP/1.1 200 OK\r\n" + resp.headers + b"\r\n")
        await w.drain()
        for piece in _pieces(resp):
            w.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await w.drain()
            if resp.delay:
                await asyncio.sleep(resp.delay)
        if resp.hang:
            await asyncio.Event().wait()
        if resp.cut:
            w.transport.abort()
            return False
        w.write(b"0\r\n\r\n")
        await w.drain()
        return True


def _pieces(r: Replay) -> list[bytes]:
    data = r.data
    if r.chunks:
        out, pos = [], 0
        for size in r.chunks:
            if pos >= len(data):
                break
            out.append(data[pos : pos + size])
            pos += size
        if pos < len(data):
            out.append(data[pos:])
        return [p for p in out if p]
    size = r.chunk_size or 65536
    return [data[i : i + size] for i in range(0, len(data), size)]


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = [*lines[0].split(" ", 2), "", ""][:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    return ReceivedRequest(method.upper(), path, headers, body)


def free_port() -> int:
    """A loopback port with no listener (bound then released; nothing else should grab it in time)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def unresponsive_port(fillers: int = 8) -> Iterator[int]:
    """A loopback port whose accept queue is full, so new TCP connects hang (connect-timeout tests).
    Linux drops the SYN when a ``listen(0)`` socket's queue is full; nothing is ever accepted."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    socks = []
    try:
        for _ in range(fillers):
            c = socket.socket()
            c.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                c.connect(("127.0.0.1", port))
            socks.append(c)
        yield port
    finally:
        for c in socks:
            c.close()
        srv.close()


def self_signed_context(tmpdir: Path) -> tuple[ssl.SSLContext, ssl.SSLContext] | None:
    """(server_ctx, client_ctx) for a fresh self-signed cert on 127.0.0.1, or None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    key, cert = tmpdir / "key.pem", tmpdir / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
