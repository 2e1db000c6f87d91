#!/usr/bin/env bash
# The desktop people work in, measured: clipboard round trip, resize to a new frame, file upload and download, each
# against a baseline of the same run (see io.atrium.e2e.bench.DesktopWorkBenchmark). Needs the X desktop image
# (built on first use, minutes). Usage, from anywhere:
#   e2e-tests/bench-desktop.sh [--reps 10] [--mib 8]
# Builds the reactor offline into its target/ directories (nothing is installed into ~/.m2), then runs the harness
# from e2e-tests/. Run it while nothing else loads the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../.ci/lib.sh
source "$ROOT/.ci/lib.sh"
find_java
ensure_node
CP_FILE="$ROOT/e2e-tests/target/bench-desktop.classpath"
log "building e2e-tests and what it depends on (offline, in the reactor)"
mvnw -o -q -pl e2e-tests -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE"
[ -x "${ATRIUM_CHROMIUM:-/usr/bin/chromium}" ] || ensure_packages chromium
cd "$ROOT/e2e-tests"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec java -cp "target/test-classes:$(cat "$CP_FILE")" io.atrium.e2e.bench.DesktopWorkBenchmark "$@"
