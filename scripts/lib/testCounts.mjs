// Counts of one test run, read from the runner's own report, for the closing
// line of `npm test`. Every test lands in exactly one bucket; a test that did
// not run to a verdict is never counted as passed.
//
//   node scripts/lib/testCounts.mjs jest <report.json>   (jest --json)
//   node scripts/lib/testCounts.mjs tap <report.tap>     (node --test, tap reporter)
//
// prints "passed failed skipped todo cancelled", where `failed` already
// includes `cancelled` (shown apart so the reader knows why).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * jest's JSON report. A suite that cannot even load (numRuntimeErrorTestSuites)
 * has no failed test in numFailedTests, so it counts as one failure of its own.
 * `it.skip` is "pending"; `it.todo` is "todo". A jest timeout is a failed test.
 */
export function countJest(report) {
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + report.numRuntimeErrorTestSuites,
    skipped: report.numPendingTests,
    todo: report.numTodoTests,
    cancelled: 0,
  };
}

/**
 * node:test's TAP summary (`# pass`, `# fail`, `# cancelled`, `# skipped`,
 * `# todo`; Node puts each test in one of them). A test that times out is
 * "cancelled" (failureType testTimeoutFailure), and so are the tests its
 * parent's timeout cut short (cancelledByParent): none of them passed, so they
 * count as failures. A todo test's failure does not fail the run in Node, so
 * todo stays its own bucket.
 */
export function countTap(text) {
  const summary = name => {
    const lines = text.match(new RegExp(`^# ${name} (\\d+)$`, 'gm')) ?? [];
    const last = lines.at(-1);
    return last ? Number(last.split(' ')[2]) : 0;
  };
  const cancelled = summary('cancelled');
  return {
    passed: summary('pass'),
    failed: summary('fail') + cancelled,
    skipped: summary('skipped'),
    todo: summary('todo'),
    cancelled,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind, file] = process.argv.slice(2);
  const text = readFileSync(file, 'utf8');
  const counts = kind === 'jest' ? countJest(JSON.parse(text)) : countTap(text);
  const { passed, failed, skipped, todo, cancelled } = counts;
  console.log(`${passed} ${failed} ${skipped} ${todo} ${cancelled}`);
}
