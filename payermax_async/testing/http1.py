"""Just enough HTTP/1.1 for a man in the middle on 127.0.0.1: one message at a time on a keep-alive
connection, kept both as received (to relay it byte for byte) and de-framed (to read its body).

A message is its head up to the blank line, then a body framed by ``Content-Length`` or chunked
encoding; an answer with neither runs to the end of the connection. Anything else is :class:`Broken`,
and the caller ends the connection. :mod:`.fault_proxy` is built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from email.utils import formatdate

__all__ = [
    "BODY_LIMIT",
    "HEAD_LIMIT",
    "Broken",
    "Message",
    "Upstream",
    "build_response",
    "read_message",
    "reset_connection",
]

HEAD_LIMIT = 64 * 1024
BODY_LIMIT = 8 * 1024 * 1024


class Broken(Exception):
    """The peer sent something that is not HTTP/1.1 as this proxy reads it, or went away."""


@dataclass(slots=True)
class Message:
    start: str
    headers: dict[str, str]  # lower-case names
    head: bytes
    body: bytes  # de-framed
    raw: bytes  # exactly as received
    close: bool  # the sender closes the connection after this message


async def read_message(reader: asyncio.StreamReader, *, response: bool) -> Message | None:
    """One HTTP message, or None on a clean end of stream before its first byte."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise Broken("stream ended inside a message head") from None
    except (asyncio.LimitOverrunError, ValueError):
        raise Broken("message head too long") from None
    lines = head[:-4].decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise Broken("malformed header line")
        headers[name.strip().lower()] = value.strip()
    start = lines[0]
    connection = headers.get("connection", "").lower()
    close = "close" in connection or (start.startswith("HTTP/1.0") and "keep-alive" not in connection)
    if response and _bodiless(start):
        return Message(start, headers, head, b"", head, close)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw_body, body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise Broken("bad Content-Length") from None
        if not 0 <= length <= BODY_LIMIT:
            raise Broken("Content-Length out of range")
        raw_body = body = await _exactly(reader, length)
    elif response:
        raw_body = body = await reader.read(BODY_LIMIT)  # delimited by the end of the connection
        close = True
    else:
        raw_body = body = b""
    return Message(start, headers, head, body, head + raw_body, close)


def _bodiless(status_line: str) -> bool:
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise Broken("malformed status line") from None
    return 100 <= status < 200 or status in (204, 304)


async def _exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await reader.readexactly(n)
    except asyncio.IncompleteReadError:
        raise Broken("stream ended inside a body") from None


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    raw, body = bytearray(), bytearray()
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            raise Broken("bad chunk header") from None
        raw += line
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise Broken("bad chunk size") from None
        if size == 0:
            while True:  # trailers, up to the empty line
                try:
                    trailer = await reader.readuntil(b"\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                    raise Broken("bad chunk trailer") from None
                raw += trailer
                if trailer == b"\r\n":
                    return bytes(raw), bytes(body)
        if len(body) + size > BODY_LIMIT:
            raise Broken("chunked body too large")
        chunk = await _exactly(reader, size + 2)
        raw += chunk
        body += chunk[:-2]


def build_response(status: str, content_type: str, body: bytes, date: str | None = None) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Date: {date or formatdate(usegmt=True)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close with RST, not FIN: SO_LINGER with a zero timeout makes close() abort the connection."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Upstream:
    """The upstream side of one client connection, opened on first use and after a close."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._pair: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: Message) -> Message:
        if self._pair is None:
            try:
                self._pair = await asyncio.open_connection(self._host, self._port, limit=HEAD_LIMIT)
            except OSError:
                raise Broken("upstream refused the connection") from None
        reader, writer = self._pair
        try:
            writer.write(request.raw)
            await writer.drain()
            answer = await read_message(reader, response=True)
        except (OSError, Broken):
            self.close()
            raise Broken("upstream failed mid-exchange") from None
        if answer is None:
            self.close()
            raise Broken("upstream closed without answering")
        if answer.close:
            self.close()
        return answer

    def close(self) -> None:
        pair, self._pair = self._pair, None
        if pair is not None:
            pair[1].close()
