#!/usr/bin/env bash
# Quick functional check of a running node built by build-node.sh:
#   infra/elasticsearch/smoke-test.sh [URL]     (default http://127.0.0.1:9200)
# Creates and deletes a throw-away index "newsflow-smoke-test". Needs curl + python3.
set -euo pipefail
URL="${1:-http://127.0.0.1:9200}"
IDX=newsflow-smoke-test
fail() { echo "smoke-test: FAIL: $*" >&2; exit 1; }
req() { curl -sS -H 'content-type: application/json' "$@"; }
# tokens <json-body> -> space separated tokens of an _analyze call
tokens() {
  req -XPOST "$URL/_analyze" -d "$1" | python3 -c 'import sys,json; print(" ".join(t["token"] for t in json.load(sys.stdin)["tokens"]))'
}
expect() { [[ "$2" == "$3" ]] || fail "$1: expected [$3], got [$2]"; echo "ok  $1: $2"; }

req "$URL/_cluster/health?wait_for_status=yellow&timeout=30s" | grep -Eq '"status":"(green|yellow)"' || fail "cluster health"
echo "ok  cluster health"
expect "english analyzer" "$(tokens '{"analyzer":"english","text":"running cats"}')" "run cat"
expect "german analyzer" "$(tokens '{"analyzer":"german","text":"Die Häuser"}')" "haus"
expect "french analyzer" "$(tokens '{"analyzer":"french","text":"les chevaux"}')" "cheval"
expect "lowercase+asciifolding+stemmer" \
  "$(tokens '{"tokenizer":"standard","filter":["lowercase","asciifolding",{"type":"stemmer","language":"english"}],"text":"Cafés Running"}')" "cafe run"
expect "html_strip" "$(tokens '{"tokenizer":"standard","char_filter":["html_strip"],"text":"<p>a <b>b</b></p>"}')" "a b"

req -XDELETE "$URL/$IDX?ignore_unavailable=true" >/dev/null
trap 'req -XDELETE "$URL/$IDX?ignore_unavailable=true" >/dev/null 2>&1 || true' EXIT
req -XPUT "$URL/$IDX" -d '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0, "analysis": {
    "filter": {"en_stem": {"type": "stemmer", "language": "english"}},
    "analyzer": {"folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "en_stem"]}},
    "normalizer": {"folded_kw": {"type": "custom", "filter": ["lowercase", "asciifolding"]}}}},
  "mappings": {"properties": {
    "title": {"type": "text", "analyzer": "folded"}, "body": {"type": "text", "analyzer": "english"},
    "source": {"type": "keyword", "normalizer": "folded_kw"}, "story": {"type": "keyword"},
    "suggest": {"type": "completion"}}}}' | grep -q '"acknowledged":true' || fail "create index"
echo "ok  index with custom analyzer/normalizer/completion"
bulk="$(printf '%s\n' \
  '{"index":{"_id":"1"}}' \
  '{"title":"Running Cafés","body":"cats running","source":"Zürich Post","story":"a","suggest":"Zurich cafes"}' \
  '{"index":{"_id":"2"}}' \
  '{"title":"Cats are running","body":"a cat runs","source":"zurich post","story":"a","suggest":"Cats"}')"
req -XPOST "$URL/$IDX/_bulk?refresh=true" --data-binary "$bulk"$'\n' \
  | grep -q '"errors":false' || fail "bulk"
out="$(req -XPOST "$URL/$IDX/_search" -d '{"query":{"match":{"title":"cafe run"}},"aggs":{"src":{"terms":{"field":"source"}}},"highlight":{"fields":{"title":{}}},"collapse":{"field":"story"},"suggest":{"s":{"prefix":"zur","completion":{"field":"suggest"}}}}')"
python3 - "$out" <<'PY' || fail "search/aggs/highlight/collapse/suggest: $out"
import json, sys
r = json.loads(sys.argv[1])
hits = r["hits"]["hits"]
assert len(hits) == 1 and "<em>" in hits[0]["highlight"]["title"][0], "highlight/collapse"
assert [b["key"] for b in r["aggregations"]["src"]["buckets"]] == ["zurich post"], "terms agg on normalized keyword"
assert r["suggest"]["s"][0]["options"][0]["text"] == "Zurich cafes", "completion"
PY
echo "ok  search + terms agg + highlight + collapse + completion suggest"
echo "smoke-test: all checks passed against $URL"
