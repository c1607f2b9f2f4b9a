#!/usr/bin/env bash
# `npm test`: everything, in the order that fails fastest. Needs Redis and Postgres
# reachable (see README); each integration suite makes its own database and queue prefix.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NEXT_TELEMETRY_DISABLED=1
nx() { npx nx "$@" --output-style=stream; }

echo "== lint and type-check"
nx run-many -t lint typecheck --parallel=2
echo "== unit tests"
nx run-many -t test --parallel=2
echo "== integration tests (real Redis and Postgres)"
nx run-many -t int-test --parallel=2
echo "== end-to-end tests (Chromium)"
nx run-many -t e2e --parallel=1
echo "== quick bench and fault drills (lost / duplicated asserted; timings reported, not asserted)"
nx run bench:bench-quick
nx run drill:drill
