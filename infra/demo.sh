#!/usr/bin/env bash
# The main job on a running stack: post articles to the API, wait until they are searchable,
# then search. Usage: infra/demo.sh PATH [QUERY]   (PATH: a file or a directory of .txt/.html)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
API="http://127.0.0.1:${NEWSFLOW_API_PORT:-8000}"
path="${1:?usage: infra/demo.sh PATH [QUERY]}"
query="${2:-Putin Alaska}"

exec "$ROOT/.venv/bin/python" - "$API" "$path" "$query" <<'PY'
import json, sys, time
from pathlib import Path

import httpx

api, path, query = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
files = sorted(p for p in (path.rglob("*") if path.is_dir() else [path])
               if p.suffix in (".txt", ".html", ".htm"))
ids = []
with httpx.Client(base_url=api, timeout=30) as client:
    for file in files:
        kind = "text" if file.suffix == ".txt" else "html"
        response = client.post("/v1/articles", json={kind: file.read_text(), "source": "demo"})
        print(f"POST /v1/articles {file.name} -> {response.status_code} {response.json()}")
        if response.json().get("id"):
            ids.append(response.json()["id"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = {i: client.get(f"/v1/articles/{i}").json()["state"] for i in ids}
        if all(s in ("indexed", "duplicate", "failed") for s in states.values()):
            break
        time.sleep(0.5)
    print("states:", states)
    time.sleep(1.1)  # one refresh interval: indexed documents become searchable
    result = client.get("/v1/search", params={"q": query, "size": 5}).json()
    print(f'GET /v1/search?q={query} -> {result["total"]} hit(s)')
    for hit in result["hits"]:
        print(json.dumps({k: hit.get(k) for k in ("id", "title", "persons", "organizations",
                                                  "places", "highlights")},
                         ensure_ascii=False, indent=2))
PY
