#!/usr/bin/env bash
# Time to desktop in the browser: click Open on a warm pool until the first guest frame, and log off
# until the desktop is ready again, instant clones vs cold boot. Usage, from anywhere:
#   e2e-tests/bench.sh [--reps 6] [--logoffs 4] [--write docs/benchmarks.md]
# Builds e2e-tests and what it depends on offline (skip with ATRIUM_BENCH_NO_BUILD=1), then runs
# io.atrium.e2e.bench.TimeToDesktopBenchmark from e2e-tests/ (paths in --write are taken relative
# to the repository root). Run it while nothing else loads the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# lib.sh sets -euo pipefail itself and defines find_java, ensure_node and mvnw.
# shellcheck source=../.ci/lib.sh
source "$ROOT/.ci/lib.sh"
find_java
ensure_node

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --write) args+=("--write" "$(cd "$ROOT" && realpath -m "$2")"); shift 2 ;;
    --write=*) args+=("--write" "$(cd "$ROOT" && realpath -m "${1#--write=}")"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done

CP_FILE="$ROOT/e2e-tests/target/bench.classpath"
if [ "${ATRIUM_BENCH_NO_BUILD:-0}" != 1 ]; then
  log "building e2e-tests and its dependencies (offline)"
  mvnw -o -q -pl e2e-tests -am install -DskipTests
fi
if [ "${ATRIUM_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -s "$CP_FILE" ]; then
  mvnw -o -q -pl e2e-tests dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"
fi
[ -x "${ATRIUM_CHROMIUM:-/usr/bin/chromium}" ] || ensure_packages chromium

cd "$ROOT/e2e-tests"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec java -cp "target/test-classes:$(cat "$CP_FILE")" io.atrium.e2e.bench.TimeToDesktopBenchmark "${args[@]}"
