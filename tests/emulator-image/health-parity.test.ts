// The image's health server (Python) and the portal (TypeScript) must fold the
// same facts into the same state and reasons. Both run over one table of
// cases; any difference fails, so a change to one set of rules without the
// other cannot go unnoticed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HealthFacts } from '../../plugins/loco-common/src/health.ts';
import { deriveInstanceHealth } from '../../plugins/loco-node/src/health/deriveInstanceHealth.ts';
import { REPO, run } from './helpers/vm.ts';

const NOW = '2026-11-22T12:00:00.000Z';
const ago = (seconds: number) =>
  new Date(Date.parse(NOW) - seconds * 1000).toISOString();

const running: HealthFacts = {
  processAlive: true,
  qmpStatus: 'running',
  vncReachable: true,
  lastScreenChangeAt: ago(5),
  startedAt: ago(300),
  bootMode: 'cold',
  accelerator: 'tcg',
  restarts: 0,
  lastExit: null,
};

type Case = {
  name: string;
  facts: HealthFacts;
  intendedRunning?: boolean;
  now?: string;
  waiting?: string;
  notes?: string[];
};
const cases: Case[] = [
  { name: 'healthy', facts: running },
  {
    name: 'stopped on purpose',
    facts: { ...running, processAlive: false },
    intendedRunning: false,
  },
  {
    name: 'not running, never exited',
    facts: { ...running, processAlive: false },
  },
  {
    name: 'exited with a code',
    facts: {
      ...running,
      processAlive: false,
      lastExit: { code: 1, signal: null, at: ago(3) },
    },
  },
  {
    name: 'killed by a signal',
    facts: {
      ...running,
      processAlive: false,
      lastExit: { code: null, signal: 'SIGKILL', at: ago(3) },
    },
  },
  {
    name: 'exit status unknown',
    facts: {
      ...running,
      processAlive: false,
      lastExit: { code: null, signal: null, at: ago(3) },
    },
  },
  ...['internal-error', 'guest-panicked', 'shutdown', 'io-error'].map(s => ({
    name: `QMP ${s}`,
    facts: { ...running, qmpStatus: s },
  })),
  {
    name: 'not measured, in grace',
    facts: { ...running, qmpStatus: null, startedAt: ago(10) },
  },
  {
    name: 'not measured, past grace',
    facts: { ...running, qmpStatus: null, startedAt: ago(91) },
  },
  {
    name: 'VNC unknown, in grace',
    facts: { ...running, vncReachable: null, startedAt: ago(1) },
  },
  {
    name: 'no start time counts as in grace',
    facts: { ...running, qmpStatus: null, startedAt: null },
  },
  {
    name: 'VNC refused, in grace',
    facts: { ...running, vncReachable: false, startedAt: ago(89) },
  },
  {
    name: 'VNC refused, past grace',
    facts: { ...running, vncReachable: false, startedAt: ago(90) },
  },
  { name: 'paused', facts: { ...running, qmpStatus: 'paused' } },
  { name: 'empty QMP status', facts: { ...running, qmpStatus: '' } },
  {
    name: 'screen never changed, in grace',
    facts: { ...running, lastScreenChangeAt: null, startedAt: ago(30) },
  },
  {
    name: 'screen never changed, past grace (rounding 100.5 s)',
    facts: { ...running, lastScreenChangeAt: null, startedAt: ago(100.5) },
  },
  {
    name: 'screen never changed, 120.4 s',
    facts: { ...running, lastScreenChangeAt: null, startedAt: ago(120.4) },
  },
  {
    name: 'screen stale (180.5 s)',
    facts: { ...running, lastScreenChangeAt: ago(180.5) },
  },
  {
    name: 'screen exactly at the stale limit',
    facts: { ...running, lastScreenChangeAt: ago(180) },
  },
  {
    name: 'screen changed in the future (clock skew)',
    facts: { ...running, lastScreenChangeAt: ago(-2.5) },
  },
  {
    name: 'waiting to start (downloading the disk)',
    facts: { ...running, processAlive: false },
    waiting: 'downloading snapshot r/x:y',
  },
  {
    name: 'waiting does not hide a stop',
    facts: { ...running, processAlive: false },
    intendedRunning: false,
    waiting: 'w',
  },
  { name: 'waiting is ignored while QEMU runs', facts: running, waiting: 'w' },
  {
    name: 'notes appended (KVM fallback)',
    facts: running,
    notes: ['KVM requested but unusable here (x); running on TCG'],
  },
  {
    name: 'notes after a failure',
    facts: { ...running, processAlive: false },
    notes: ['no disk at /d', 'second'],
  },
  {
    name: 'timestamps without milliseconds',
    facts: {
      ...running,
      startedAt: '2026-11-22T11:59:00Z',
      lastScreenChangeAt: null,
    },
  },
];

test('the Python health rules give the same state and reasons as deriveInstanceHealth', () => {
  const input = cases.map(c => ({
    facts: c.facts,
    now: c.now ?? NOW,
    intendedRunning: c.intendedRunning ?? true,
    waiting: c.waiting,
    notes: c.notes,
  }));
  const result = run(
    'python3',
    [join(REPO, 'emulator-image/health_server.py'), '--derive'],
    {},
    JSON.stringify(input),
  );
  assert.equal(result.status, 0, result.stderr);
  const python: Array<{ state: string; reasons: string[]; checkedAt: string }> =
    JSON.parse(result.stdout);
  assert.equal(python.length, cases.length);
  const seen = new Set<string>();
  cases.forEach((c, i) => {
    const ts = deriveInstanceHealth(c.facts, new Date(input[i].now), {
      intendedRunning: input[i].intendedRunning,
      waiting: c.waiting,
      notes: c.notes,
    });
    assert.deepEqual(
      python[i],
      { state: ts.state, reasons: ts.reasons, checkedAt: ts.checkedAt },
      c.name,
    );
    seen.add(ts.state);
  });
  // The table reaches every state, so no branch of either side goes untested.
  assert.deepEqual([...seen].sort(), [
    'degraded',
    'healthy',
    'starting',
    'stopped',
    'unhealthy',
  ]);
});
