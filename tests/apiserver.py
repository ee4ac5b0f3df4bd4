"""A real API server for tests: `python -m services.api.server` on a free loopback port.

What production runs (uvicorn with the header, body and keep-alive limits), in a process of
its own, so that what a test measures is the server's event loop, not the test's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from shared.apikeys import hash_api_key

REPO = Path(__file__).resolve().parent.parent
KEYS = {
    "ingest": "it-4d1c9e7a0b3f5268-ingest",
    "search": "st-8a2e6f0c4b9d1357-search",
    "admin": "at-1f7b3d9e5c0a2468-admin",
}
KEYS_ENV = json.dumps({hash_api_key(key): [scope] for scope, key in KEYS.items()})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_api(log_path: Path, code: str | Path = REPO, **settings: str) -> Iterator[str]:
    """The API on 127.0.0.1 with `settings` (NEWSFLOW_<NAME>=value) over the test
    environment, run from the source tree `code` (this one); yields its base URL, stops it
    afterwards."""
    port = free_port()
    env = {**os.environ, **{f"NEWSFLOW_{k.upper()}": v for k, v in settings.items()}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.api.server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=code,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
