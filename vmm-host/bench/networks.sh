#!/bin/sh
# Desktop network benchmark (throughput desktop<->desktop on a lab switch and desktop<-outside through NAT, against
# the guest's loopback; memory of the helpers per lab switch and of QEMU per desktop). Needs root (network
# namespaces), like the integration tests; traffic stays in namespaces it makes and removes. Usage, from the
# repository root:
#   vmm-host/bench/networks.sh [--reps N] [--megabytes N]
# Builds vmm-host in the reactor (offline, nothing installed), then runs io.atrium.vmm.bench.NetworkBenchmark; the
# Markdown it prints goes into docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/../.."
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then
    JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [ -n "${JAVA_HOME:-}" ]; then
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
fi
./mvnw -o -q -pl vmm-host -am test-compile
./mvnw -o -q -pl vmm-host dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/vmm-host/target/bench.classpath"
exec java -Datrium.vmm.accel="${ATRIUM_VMM_ACCEL:-AUTO}" \
    -cp "vmm-host/target/classes:vmm-host/target/test-classes:$(cat vmm-host/target/bench.classpath)" \
    io.atrium.vmm.bench.NetworkBenchmark "$@"
