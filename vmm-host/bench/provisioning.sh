#!/bin/sh
# Provisioning benchmark (linked clone vs full copy; cold boot vs instant clone to the first guest
# frame, console guest and X desktop). Usage, from the repository root:
#   vmm-host/bench/provisioning.sh [--reps N] [--x-reps N] [--no-x]
# Builds vmm-host (offline), then runs io.atrium.vmm.bench.ProvisioningBenchmark; the Markdown
# table it prints goes into docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/../.."
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then
    JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [ -n "${JAVA_HOME:-}" ]; then
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
fi
JAVA=java
./mvnw -o -q -pl vmm-host install -DskipTests
./mvnw -o -q -pl vmm-host dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/vmm-host/target/bench.classpath"
exec "$JAVA" -Datrium.vmm.accel="${ATRIUM_VMM_ACCEL:-AUTO}" \
    -cp "vmm-host/target/classes:vmm-host/target/test-classes:$(cat vmm-host/target/bench.classpath)" \
    io.atrium.vmm.bench.ProvisioningBenchmark "$@"
