#!/usr/bin/env bash
# The image library's benchmark: upload throughput over loopback (heap sampled), validation of a 2 GiB image,
# upload to ready of the Debian test image, rollout of a pool at log off vs forced; each against a baseline measured
# in the same run. Usage, from anywhere:
#   e2e-tests/bench-images.sh [--upload-mib 1024] [--pool 3] [--write docs/benchmarks.md]
# Compiles e2e-tests and what it depends on inside the reactor (nothing is installed into ~/.m2), then runs
# io.atrium.e2e.bench.ImageLibraryBenchmark from e2e-tests/ with a heap smaller than the upload. Run it while nothing
# else loads the machine; it builds the Debian test image first if it is not cached (minutes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../.ci/lib.sh
source "$ROOT/.ci/lib.sh"
find_java
ensure_node

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --write) args+=("--write" "$(cd "$ROOT" && realpath -m "$2")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

CP_FILE="$ROOT/e2e-tests/target/bench-images.classpath"
log "compiling e2e-tests and its dependencies (offline, in the reactor)"
# package, not test-compile: the web module's jar must hold Vaadin's production bundle (else Vaadin wants its dev server)
mvnw -o -q -pl e2e-tests -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-images.classpath

cd "$ROOT/e2e-tests"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec java -Xmx700m -cp "target/test-classes:$(cat "$CP_FILE")" io.atrium.e2e.bench.ImageLibraryBenchmark "${args[@]}"
