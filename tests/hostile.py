"""The hostile inputs of issue 9, sent over raw sockets to a running API.

`python -m tests.hostile PORT KEY [ROUNDS]` sends every case ROUNDS times, all at once (one
thread per request), and prints one JSON outcome per request: the case, the status (None when
the server closed the connection without an answer), the `reason` and the seconds it took.
Raw sockets, because the cases are what a well-behaved HTTP client will not send: bodies that
stall, headers that trickle, declared lengths that lie.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

MB = 1_000_000
# What each case must get: a status, or None for "the server closed the connection".
EXPECTED: dict[str, set[int | None]] = {
    "ndjson 50 MB, 3.8M lines": {413},
    "JSON array of zeros 10 MB": {413},
    "declared 60 MB": {413},
    "chunked 60 MB": {413},
    "unauthenticated 50 MB": {401},
    "wrong key 50 MB": {401},
    "nested [[[ 5 MB": {422},
    "binary garbage 20 MB": {400},
    "1000 blank articles 40 MB": {202},
    "declared body that never arrives": {408},
    "headers one byte a second": {None},
    "idle connection": {None},
}


@dataclass
class Outcome:
    case: str
    status: int | None
    reason: str | None
    seconds: float


def _head(path: str, key: str | None, media: str, length: int | None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {media}"]
    if key:
        lines.append(f"X-API-Key: {key}")
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _repeat(piece: bytes, total: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    block = piece * max(1, chunk // len(piece))
    sent = 0
    while sent < total:
        part = block[: total - sent]
        sent += len(part)
        yield part


def _chunked(parts: Iterator[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


def _parse(data: bytes) -> tuple[int | None, str | None]:
    if not data.startswith(b"HTTP/1.1 "):
        return None, None
    status = int(data[9:12])
    _, _, body = data.partition(b"\r\n\r\n")
    try:
        reason = json.loads(body).get("reason")
    except ValueError:
        reason = None
    return status, reason


def exchange(
    port: int, head: bytes, body: Iterator[bytes], pause_s: float = 0.0, timeout_s: float = 60
) -> tuple[int | None, str | None]:
    """Send `head` then `body`; read the answer meanwhile (a server that refuses early may
    close before the client is done sending)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    received = bytearray()
    done = threading.Event()

    def read() -> None:
        try:
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                received.extend(part)
                status, _ = _parse(bytes(received))
                head_end = received.find(b"\r\n\r\n")
                if status is not None and head_end > 0:
                    length = _content_length(bytes(received[:head_end]))
                    if length is not None and len(received) >= head_end + 4 + length:
                        break
        except OSError:
            pass
        finally:
            done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for piece in [head, *body]:
            if done.is_set():
                break
            sock.sendall(piece)
            if pause_s:
                time.sleep(pause_s)
    except OSError:
        pass  # refused while sending: the answer (if any) is read below
    done.wait(timeout_s)
    sock.close()
    return _parse(bytes(received))


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def cases(port: int, key: str) -> dict[str, Callable[[], tuple[int | None, str | None]]]:
    article = b'{"text": "Title\\n\\nA line of body text."}\n'
    blank = b'{"text": "' + b" " * 40_000 + b'"},'
    batch = b"[" + blank * 999 + blank[:-1] + b"]"
    ndjson = "application/x-ndjson"
    json_type = "application/json"
    batch_path, single = "/v1/articles/batch", "/v1/articles"
    return {
        "ndjson 50 MB, 3.8M lines": lambda: exchange(
            port, _head(batch_path, key, ndjson, 50 * MB), _repeat(article, 50 * MB)
        ),
        "JSON array of zeros 10 MB": lambda: exchange(
            port,
            _head(batch_path, key, json_type, 10 * MB),
            iter([b"[0", *_repeat(b",0", 10 * MB - 3), b"]"]),
        ),
        "declared 60 MB": lambda: exchange(port, _head(single, key, json_type, 60 * MB), iter([])),
        "chunked 60 MB": lambda: exchange(
            port,
            _head(single, key, json_type, None),
            _chunked(iter([b'{"text": "', *_repeat(b"x", 60 * MB)])),
        ),
        "unauthenticated 50 MB": lambda: exchange(
            port, _head(batch_path, None, ndjson, 50 * MB), _repeat(article, 50 * MB)
        ),
        "wrong key 50 MB": lambda: exchange(
            port, _head(batch_path, "guess", ndjson, 50 * MB), _repeat(article, 50 * MB)
        ),
        "nested [[[ 5 MB": lambda: exchange(
            port, _head(batch_path, key, json_type, 5 * MB), _repeat(b"[", 5 * MB)
        ),
        "binary garbage 20 MB": lambda: exchange(
            port, _head(batch_path, key, json_type, 20 * MB), _repeat(b"\xff\x00\xfe", 20 * MB)
        ),
        "1000 blank articles 40 MB": lambda: exchange(
            port, _head(batch_path, key, json_type, len(batch)), _repeat(batch, len(batch))
        ),
        "declared body that never arrives": lambda: exchange(
            port, _head(single, key, json_type, 1000), iter([b'{"text": "']), timeout_s=120
        ),
        "headers one byte a second": lambda: exchange(
            port, b"P", iter(b"OST /v1/articles HTTP/1.1\r\n"[i : i + 1] for i in range(27)), 1.0
        ),
        "idle connection": lambda: exchange(port, b"", iter([]), timeout_s=120),
    }


def attack(port: int, key: str, rounds: int = 1) -> list[Outcome]:
    """Every case `rounds` times, all concurrently."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def run(name: str, send: Callable[[], tuple[int | None, str | None]]) -> None:
        started = time.monotonic()
        status, reason = send()
        with lock:
            outcomes.append(Outcome(name, status, reason, time.monotonic() - started))

    threads = [
        threading.Thread(target=run, args=(name, send))
        for _ in range(rounds)
        for name, send in cases(port, key).items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


if __name__ == "__main__":
    for outcome in attack(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) if sys.argv[3:] else 1):
        print(json.dumps(asdict(outcome)), flush=True)
