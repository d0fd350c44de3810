#!/usr/bin/env bash
# Self-test of how `npm test` counts (a tool check, not a test): the counting
# of scripts/lib/testCounts.mjs against real reports of runs that hold a pass,
# a failure, a skip, a todo, a timeout and a suite that cannot load (see
# scripts/testdata/README.md for the tests that produced them). The expected
# counts are written from those tests, not computed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0

expect() {
  local kind="$1" file="$2" want="$3" got
  got=$(node "$here/lib/testCounts.mjs" "$kind" "$here/testdata/$file") || got="(error)"
  if [[ "$got" == "$want" ]]; then
    echo "ok: $file counts as '$got' (passed failed skipped todo cancelled)"
  else
    echo "WRONG: $file counts as '$got', expected '$want' (passed failed skipped todo cancelled)" >&2
    status=1
  fi
}

# jest: 1 passed; 3 failed = "fails" + "times out" + broken.test.js (no test
# ran, the suite failed to load); 1 skipped; 1 todo.
expect jest jest-report.json "1 3 1 1 0"
# node:test: 1 passed; 4 failed = "fails" + 3 cancelled ("times out", and the
# two tests cut short by their suite's timeout); 1 skipped; 2 todo (one of
# them fails, which Node does not count against the run).
expect tap node-test.tap "1 4 1 2 3"
exit $status
