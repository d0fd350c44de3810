#!/usr/bin/env bash
# `npm test`: install what is missing, type-check, lint, run every unit test and
# the suites that use real QEMU, the chart renderer and a real browser, then
# print one closing line `N passed, N failed`. Every suite runs even when an
# earlier one fails, and the exit code is non-zero if anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

bash "$LOCO_ROOT/scripts/bootstrap.sh" || exit 1
source "$LOCO_ROOT/scripts/lib/env.sh"
bash "$LOCO_ROOT/scripts/prepare.sh" || exit 1

cd "$LOCO_ROOT"
results="$LOCO_ROOT/test-results"
mkdir -p "$results"
passed=0
failed=0

# A check that is not a test runner (tsc, lint, format) counts as one test.
check() {
  local name="$1"; shift
  log "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); log "FAILED: $name"; fi
}

# Jest through the Backstage CLI: counts come from its JSON report.
jest_suite() {
  log "== unit tests (every package)"
  local report="$results/jest.json"
  rm -f "$report"
  CI=true npx backstage-cli repo test --ci --json --outputFile="$report"
  local status=$?
  if [[ -f "$report" ]]; then
    passed=$((passed + $(node -p "require('$report').numPassedTests")))
    failed=$((failed + $(node -p "require('$report').numFailedTests")))
  fi
  if [[ $status -ne 0 && ( ! -f "$report" || $(node -p "require('$report').numFailedTests") -eq 0 ) ]]; then
    failed=$((failed + 1)); log "FAILED: jest exited $status"
  fi
}

# node:test suites (TypeScript through Node 22's type stripping): counts from TAP.
node_suite() {
  local name="$1" dir="$2"
  local files=()
  [[ -d "$dir" ]] && mapfile -t files < <(find "$dir" -name '*.test.ts' | sort)
  ((${#files[@]} == 0)) && return 0
  log "== $name"
  local tap="$results/$name.tap"
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
  local status=$?
  local p f
  p=$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ $status -ne 0 && ${f:-0} -eq 0 ]]; then failed=$((failed + 1)); log "FAILED: $name exited $status"; fi
}

check "type-check (tsc)" npx tsc --noEmit
check "lint" npx backstage-cli repo lint
check "format (prettier)" npm run --silent prettier:check
# Every package's config.d.ts against app-config.yaml; --strict because the
# backend itself only warns about values that do not match the schema.
check "config schema (app-config.yaml)" npx backstage-cli config:check --strict --config app-config.yaml
jest_suite
node_suite emulator-image tests/emulator-image
node_suite chart tests/chart
node_suite e2e tests/e2e

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
