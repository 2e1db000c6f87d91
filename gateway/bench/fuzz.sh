#!/usr/bin/env bash
# The RFB check as a benchmark: the jqwik fuzzing properties with many tries (executions/s, total, crashes), and
# the parsers' throughput against a plain copy. Builds the gateway offline; not part of .ci/test.
#   gateway/bench/fuzz.sh [--tries 200000] [--mib 512]
set -euo pipefail
cd "$(dirname "$0")/../.."
tries=200000
mib=512
while [ $# -gt 0 ]; do
  case "$1" in
    --tries) tries="$2"; shift 2 ;;
    --mib) mib="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source .ci/lib.sh
find_java
ensure_node
log "fuzzing the RFB parsers: $tries tries per property (5 properties)"
mvnw -o -q -pl gateway verify -Dtest=RfbParserFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Djqwik.tries.default="$tries" -DargLine="-Djqwik.tries.default=$tries"
grep -h "rfb-fuzz:" gateway/target/surefire-reports/io.atrium.gateway.rfb.RfbParserFuzzTest-output.txt
log "parser throughput ($mib MiB per stream and round)"
mvnw -o -q -pl gateway dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
java -cp "gateway/target/test-classes:gateway/target/classes:$(cat gateway/target/test-classpath.txt)" \
  io.atrium.gateway.rfb.RfbParserBenchmark --mib "$mib" --rounds 5
