#!/usr/bin/env bash
# Build a runnable Elasticsearch 8 home directory (no Docker, no bundled JDK).
#
#   infra/elasticsearch/build-node.sh DEST
#
# Downloads the org.elasticsearch.distribution.integ-test-zip:elasticsearch zip from
# Maven Central (via mvn, so ~/.m2 caches it), unpacks it into DEST, builds our
# analysis plugin (analysis-plugin/, the analysis-common replacement) and installs it
# as DEST/modules/newsflow-analysis/. See README.md in this directory.
#
# Idempotent: when DEST already holds a complete node built from the same ES version
# and the same plugin sources (DEST/.newsflow-node stamp), it only re-checks
# jvm.options.d/heap.options and exits (well under a second).
#
# Environment:
#   ES_HEAP   heap size for -Xms/-Xmx (default 1g), written to config/jvm.options.d/heap.options
#             (also updated on the fast path).
#   ES_OWNER  optional user[:group]; if set, DEST, config/, logs/ and data/ (top level only)
#             are chowned to it, so the node can run as that (non-root) user. A rebuild over
#             an existing node defaults to the previous owner of DEST/config.
#
# config/elasticsearch.yml: a fresh build writes a working single-node default
# (127.0.0.1:9200, security off, disk watermarks off). Callers (infra/local-stack.sh) are
# expected to overwrite it with their own; a rebuild over an existing node (stop it first)
# keeps the existing config/elasticsearch.yml, config/jvm.options.d/, data/ and logs/.
#
# Running it: as a non-root user, with ES_JAVA_HOME pointing at a JDK 17+, e.g.
#   ES_JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")") DEST/bin/elasticsearch -d -p DEST/es.pid
set -euo pipefail
umask 022

ES_VERSION=8.19.21
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
# Bump when the layout this script produces changes (forces a rebuild of existing nodes).
LAYOUT_REV=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN_SRC="$HERE/analysis-plugin"

log() { echo "build-node: $*" >&2; }
die() { echo "build-node: ERROR: $*" >&2; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 DEST"
ES_HEAP="${ES_HEAP:-1g}"
[[ "$ES_HEAP" =~ ^[0-9]+[kKmMgG]?$ ]] || die "ES_HEAP must look like 512m or 2g, got '$ES_HEAP'"

# Absolute DEST (the parent must exist or be creatable).
mkdir -p "$(dirname -- "$1")"
DEST="$(cd "$(dirname -- "$1")" && pwd -P)/$(basename -- "$1")"
[[ "$DEST" != "/" && "$(basename -- "$DEST")" != "." && "$(basename -- "$DEST")" != ".." ]] || die "bad DEST: $1"

STAMP_FILE="$DEST/.newsflow-node"
PLUGIN_SHA="$(cd "$PLUGIN_SRC" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)"
STAMP="es_version=$ES_VERSION
plugin_sha256=$PLUGIN_SHA
layout=$LAYOUT_REV"

write_heap() {
  local f="$DEST/config/jvm.options.d/heap.options"
  local want="# written by infra/elasticsearch/build-node.sh (ES_HEAP=$ES_HEAP)
-Xms$ES_HEAP
-Xmx$ES_HEAP"
  if [[ ! -f "$f" || "$(cat "$f")" != "$want" ]]; then
    mkdir -p "$(dirname "$f")"
    printf '%s\n' "$want" > "$f"
    log "wrote config/jvm.options.d/heap.options (-Xmx$ES_HEAP)"
  fi
}

apply_owner() {
  [[ -n "${ES_OWNER:-}" ]] || return 0
  mkdir -p "$DEST/logs" "$DEST/data"
  chown "$ES_OWNER" "$DEST" "$DEST/data"
  chown -R "$ES_OWNER" "$DEST/config" "$DEST/logs"
}

is_complete() {
  [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$STAMP" ]] &&
    [[ -x "$DEST/bin/elasticsearch" && -f "$DEST/lib/elasticsearch-$ES_VERSION.jar" ]] &&
    [[ -f "$DEST/modules/newsflow-analysis/newsflow-analysis.jar" ]] &&
    [[ -f "$DEST/modules/newsflow-analysis/plugin-descriptor.properties" ]] &&
    [[ -f "$DEST/config/elasticsearch.yml" && -f "$DEST/config/jvm.options" ]]
}

# Serialise concurrent builds of the same DEST (the lock file lives next to DEST).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEST.lock"
  flock 9
fi

if is_complete; then
  write_heap
  apply_owner
  log "$DEST is up to date (Elasticsearch $ES_VERSION + newsflow-analysis ${PLUGIN_SHA:0:12})"
  exit 0
fi

# Never clobber a directory that is not an ES home of ours.
if [[ -e "$DEST" ]]; then
  [[ -d "$DEST" ]] || die "$DEST exists and is not a directory"
  if [[ -n "$(ls -A "$DEST")" && ! -f "$STAMP_FILE" && ! -x "$DEST/bin/elasticsearch" ]]; then
    die "$DEST is not empty and does not look like an Elasticsearch home; refusing to replace it"
  fi
fi

command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
command -v javac >/dev/null || die "javac not found: a JDK 17+ is needed (apt-get install openjdk-17-jdk-headless)"

WORK="$(mktemp -d "$DEST.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

log "building newsflow-analysis plugin and fetching $ES_ARTIFACT (maven) ..."
mkdir -p "$WORK/plugin"
cp -R "$PLUGIN_SRC/pom.xml" "$PLUGIN_SRC/src" "$WORK/plugin/"
if ! mvn -B -q -C -f "$WORK/plugin/pom.xml" \
      package "$DEP_PLUGIN:copy" -Dartifact="$ES_ARTIFACT" -DoutputDirectory="$WORK" >"$WORK/mvn.log" 2>&1; then
  cat "$WORK/mvn.log" >&2
  die "maven build failed"
fi
ZIP="$WORK/elasticsearch-$ES_VERSION.zip"
JAR="$WORK/plugin/target/newsflow-analysis.jar"
[[ -f "$ZIP" && -f "$JAR" ]] || { cat "$WORK/mvn.log" >&2; die "maven did not produce $ZIP / $JAR"; }

log "unpacking Elasticsearch $ES_VERSION ..."
mkdir -p "$WORK/unpacked"
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$ZIP" -d "$WORK/unpacked"
else
  python3 - "$ZIP" "$WORK/unpacked" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
PY
fi
NEW="$WORK/unpacked/elasticsearch-$ES_VERSION"
[[ -x "$NEW/bin/elasticsearch" ]] || die "unexpected zip layout (no elasticsearch-$ES_VERSION/bin/elasticsearch)"
chmod -R a+rX "$NEW"

log "installing plugin into modules/newsflow-analysis ..."
mkdir -p "$NEW/modules/newsflow-analysis"
cp "$JAR" "$NEW/modules/newsflow-analysis/newsflow-analysis.jar"
cp "$PLUGIN_SRC/src/main/plugin-metadata/plugin-descriptor.properties" "$NEW/modules/newsflow-analysis/"

# Default config; infra/local-stack.sh overwrites it. Kept as-is on rebuilds (below).
cat > "$NEW/config/elasticsearch.yml" <<'YML'
# Default written by infra/elasticsearch/build-node.sh -- callers may overwrite this file.
cluster.name: newsflow-local
node.name: node-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: 9200
transport.port: 9300
xpack.security.enabled: false
# local dev machines often have nearly full disks; do not flip indices to read-only
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YML

# Rebuild over an existing node: keep the caller's config file, data and logs
# (and, unless ES_OWNER says otherwise, the owner of config/).
if [[ -d "$DEST" ]]; then
  if [[ -z "${ES_OWNER:-}" && -d "$DEST/config" ]]; then
    prev_owner="$(stat -c %U:%G "$DEST/config")"
    [[ "$prev_owner" == "$(id -un):$(id -gn)" ]] || ES_OWNER="$prev_owner"
  fi
  [[ -f "$DEST/config/elasticsearch.yml" ]] && cp -p "$DEST/config/elasticsearch.yml" "$NEW/config/elasticsearch.yml"
  if [[ -d "$DEST/config/jvm.options.d" ]]; then
    cp -pR "$DEST/config/jvm.options.d/." "$NEW/config/jvm.options.d/"
  fi
  for d in data logs; do
    if [[ -d "$DEST/$d" ]]; then rm -rf "${NEW:?}/$d"; mv "$DEST/$d" "$NEW/$d"; fi
  done
  log "replacing existing $DEST (kept config/elasticsearch.yml, config/jvm.options.d/, data/, logs/)"
  mv "$DEST" "$WORK/old"
fi
printf '%s\n' "$STAMP" > "$NEW/.newsflow-node"
mv "$NEW" "$DEST"

write_heap
apply_owner
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
log "done: $DEST (run as a non-root user with ES_JAVA_HOME=$java_home)"
