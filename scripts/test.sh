#!/usr/bin/env bash
# `npm test`: install what is missing, type-check, lint, run every unit test and
# the suites that use real QEMU, the chart renderer and a real browser, then
# print the tool checks' line and one closing line for the tests,
# `N passed, N failed, N skipped, N todo (N cancelled, counted as failed)`
# (CI reads its start). Every suite runs even when an earlier one fails, and
# the exit code is non-zero if anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

# The lockfile as it was before anything installed: npm must not rewrite it.
lock_before="$(sha256sum "$LOCO_ROOT/package-lock.json")"
bash "$LOCO_ROOT/scripts/bootstrap.sh" || exit 1
source "$LOCO_ROOT/scripts/lib/env.sh"
bash "$LOCO_ROOT/scripts/prepare.sh" || exit 1

cd "$LOCO_ROOT"
results="$LOCO_ROOT/test-results"
mkdir -p "$results"
passed=0
failed=0
skipped=0
todo=0
cancelled=0
tool_passed=0
tool_failed=0

# A tool check (tsc, lint, format, config) is not a test: counted apart.
check() {
  local name="$1"; shift
  log "== $name"
  if "$@"; then tool_passed=$((tool_passed + 1)); else tool_failed=$((tool_failed + 1)); log "FAILED: $name"; fi
}

# Adds one runner's report to the totals (scripts/lib/testCounts.mjs: every
# test in one bucket; a cancelled test, e.g. a node:test timeout, is a failure).
# Sets report_failed to the failures it added, for the "exited non-zero" check.
count_report() {
  local kind="$1" report="$2" p f s t c
  report_failed=0
  [[ -f "$report" ]] || return 0
  read -r p f s t c < <(node "$LOCO_ROOT/scripts/lib/testCounts.mjs" "$kind" "$report")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${s:-0})); todo=$((todo + ${t:-0})); cancelled=$((cancelled + ${c:-0}))
  report_failed=${f:-0}
}

# Jest through the Backstage CLI: counts come from its JSON report.
jest_suite() {
  log "== unit tests (every package)"
  local report="$results/jest.json"
  rm -f "$report"
  CI=true npx backstage-cli repo test --ci --json --outputFile="$report"
  local status=$?
  count_report jest "$report"
  if [[ $status -ne 0 && $report_failed -eq 0 ]]; then
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
  rm -f "$tap"
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
  local status=$?
  count_report tap "$tap"
  if [[ $status -ne 0 && $report_failed -eq 0 ]]; then failed=$((failed + 1)); log "FAILED: $name exited $status"; fi
}

check "lockfile unchanged by the install" \
  test "$(sha256sum "$LOCO_ROOT/package-lock.json")" = "$lock_before"
check "type-check (tsc)" npx tsc --noEmit
check "lint" npx backstage-cli repo lint
check "format (prettier)" npm run --silent prettier:check
# Every package's config.d.ts against app-config.yaml; --strict because the
# backend itself only warns about values that do not match the schema.
check "config schema (app-config.yaml)" npx backstage-cli config:check --strict --config app-config.yaml
check "test counting (scripts/testdata)" bash scripts/check-test-counts.sh
jest_suite
node_suite emulator-image tests/emulator-image
node_suite chart tests/chart
node_suite e2e tests/e2e
node_suite packaging tests/packaging

echo
echo "tool checks: $tool_passed passed, $tool_failed failed"
echo "$passed passed, $failed failed, $skipped skipped, $todo todo ($cancelled cancelled, counted as failed)"
[[ $failed -eq 0 && $tool_failed -eq 0 ]]
