#!/usr/bin/env bash
# REST calls per second with an API token vs HTTP Basic, same server, same run. Usage, from anywhere:
#   e2e-tests/bench-rest.sh [--clients 4] [--seconds 10] [--rounds 3] [--desktops 0] [--write docs/benchmarks.md]
# Builds the reactor offline without installing anything (skip with ATRIUM_BENCH_NO_BUILD=1), then runs
# io.atrium.e2e.bench.RestAuthBenchmark from e2e-tests/ (paths in --write are taken relative to the repository root).
# Run it while nothing else loads the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../.ci/lib.sh
source "$ROOT/.ci/lib.sh"
find_java
ensure_node

export ATRIUM_BENCH_ARGS="$*"   # as typed, for the report
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --write) args+=("--write" "$(cd "$ROOT" && realpath -m "$2")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

CP_FILE="$ROOT/e2e-tests/target/bench-rest.classpath"
if [ "${ATRIUM_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -s "$CP_FILE" ]; then
  log "building the reactor (offline, no install) and writing the benchmark's class path"
  # In one reactor run, dependency:build-classpath resolves Atrium's own modules to their freshly built jars.
  mvnw -o -q -pl e2e-tests -am package -DskipTests dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"
fi
cd "$ROOT/e2e-tests"
exec java -cp "target/test-classes:$(cat "$CP_FILE")" io.atrium.e2e.bench.RestAuthBenchmark "${args[@]}"
