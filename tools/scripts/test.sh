#!/usr/bin/env bash
# `npm test`: every stage, in the order that fails fastest. Needs Redis and Postgres reachable
# (see README); each integration suite makes its own database and queue prefix.
# A failing stage does not stop the others: one red stage must not hide what the rest would
# say. The summary table at the end names each stage's result and time; the exit code is
# non-zero when any stage failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NEXT_TELEMETRY_DISABLED=1

names=()
results=()
durations=()
failed=0

stage() {
  local name=$1
  shift
  echo
  echo "== ${name}"
  local started=$SECONDS
  if "$@"; then
    results+=("pass")
  else
    results+=("FAIL")
    failed=$((failed + 1))
  fi
  names+=("$name")
  durations+=($((SECONDS - started)))
}

nx() { npx nx "$@" --output-style=stream; }
# The stages below run what this stage built: without the Nx cache (a clean clone, NX_SKIP_NX_CACHE)
# each one's dependsOn would otherwise build api, worker and the console again, minutes each.
built() { nx "$@" --excludeTaskDependencies; }

stage "format (Prettier)" npx prettier --check .
stage "build (api, worker, console)" nx run-many -t build -p api worker admin --parallel=2
stage "lint, type-check, OpenAPI document" built run-many -t lint typecheck openapi-check --parallel=2
stage "unit tests" nx run-many -t test --parallel=2
stage "integration tests (real Redis and Postgres)" built run-many -t int-test --parallel=2
# Every suite whose code talks to Postgres, again through a PgBouncer of its own in transaction
# mode (DATABASE_POOL_MODE=transaction), as a deployment behind a pooler runs.
stage "integration tests through PgBouncer (transaction mode)" env TEST_POSTGRES_POOLER=pgbouncer npx nx run-many -t int-test -p db messaging worker --parallel=2 --output-style=stream --excludeTaskDependencies
# Send, receipts, broadcast, notifications and dead letters on a 3+3 Redis Cluster behind PgBouncer.
stage "system tests scaled out (Redis Cluster, PgBouncer)" built run system-tests:int-test-cluster
stage "end-to-end tests (Chromium)" built run-many -t e2e --parallel=1
# Lost and duplicated messages are asserted; timings are reported, not asserted.
stage "quick bench" built run bench:bench-quick
stage "fault drills" built run drill:drill

echo
echo "== summary"
printf '%-46s %-6s %8s\n' "stage" "result" "seconds"
for i in "${!names[@]}"; do
  printf '%-46s %-6s %8s\n' "${names[$i]}" "${results[$i]}" "${durations[$i]}"
done
printf '%-46s %-6s %8s\n' "total" "$([ "$failed" -eq 0 ] && echo pass || echo FAIL)" "$SECONDS"
echo "stages: $((${#names[@]} - failed)) passed, ${failed} failed"
[ "$failed" -eq 0 ]
