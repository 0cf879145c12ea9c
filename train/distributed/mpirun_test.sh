#!/bin/bash
# Runs a test binary under a real `mpirun -np N` on this machine (loopback / shared memory
# only), as root too (CI runs as root): mpirun_test.sh N BINARY [ARGS...]. The test fails
# when any rank fails.
set -euo pipefail
np="$1"
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export TMPDIR="${TEST_TMPDIR:-/tmp}"
# Under --config=asan: OpenMPI keeps what MPI_Init allocated until exit, in components it
# dlopens (no frame pointers, so LeakSanitizer cannot attribute or suppress the stacks).
# Leak checking is off for these processes; address and UB errors still fail the test.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# No network beyond loopback in the sandbox: shared memory between the ranks, TCP (out of
# band) on lo; no CPU binding (the machine is shared).
# Everything OpenMPI keeps on disk (session directory, shared-memory segments) goes into
# this test's own directory: jobs of concurrent tests in other sandboxes (which may see the
# same PIDs, hence the same job ids) must not share /dev/shm files. A hung job is ended
# before Bazel's timeout, so its output is kept.
timeout_s=$(( ${TEST_TIMEOUT:-60} > 30 ? ${TEST_TIMEOUT:-60} - 15 : ${TEST_TIMEOUT:-60} ))
exec /usr/bin/mpirun -np "$np" --oversubscribe --bind-to none --timeout "$timeout_s" \
  --mca orte_tmpdir_base "$TMPDIR" \
  --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
  --mca btl_vader_backing_directory "$TMPDIR" \
  --mca oob_tcp_if_include lo \
  "$@"
