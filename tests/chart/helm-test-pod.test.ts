// The `helm test` pod's script, run as rendered with the real sh and curl.
// Instance URLs are cluster DNS names, so curl reaches them through an HTTP
// proxy (http_proxy) that answers as each instance's emulator agent would:
// GET /ready 200 only while healthy or degraded, GET /health the health JSON
// (503 when a restart would help), as plugins/loco-node/src/agent/agentRoutes.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { envOf, one, render } from './helpers.ts';

type State = 'healthy' | 'degraded' | 'starting' | 'unhealthy' | 'stopped';
type Instance = State | 'not-json';

/** Test double of the instances' agents, reached as an HTTP proxy. */
async function fakeAgents(states: Instance[]) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/');
    const index = Number(/-(\d+)\./.exec(url.hostname)?.[1]);
    const state = states[index];
    if (state === undefined || url.port !== '8080') {
      res.writeHead(502).end();
      return;
    }
    if (url.pathname === '/ready') {
      const ready = state === 'healthy' || state === 'degraded';
      res.writeHead(ready ? 200 : 503).end(ready ? 'ready' : 'not ready');
    } else if (url.pathname === '/health') {
      if (state === 'not-json') {
        res.writeHead(200).end('<html>hello</html>');
        return;
      }
      const reasons = state === 'healthy' ? [] : [`guest is ${state}`];
      res
        .writeHead(state === 'stopped' ? 503 : 200, {
          'content-type': 'application/json',
        })
        .end(JSON.stringify({ state, reasons, facts: {}, checkedAt: '' }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    proxy: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

/** Runs the rendered test pod's command against the given instances. */
async function runTestPod(states: Instance[]) {
  const pod = one(
    render({ instances: states.length, tests: { readyRetries: 0 } }),
    'Pod',
  );
  const container = pod.spec.containers[0];
  const agents = await fakeAgents(states);
  try {
    return await new Promise<{ code: number; stdout: string; stderr: string }>(
      resolve => {
        execFile(
          container.command[0],
          [...container.command.slice(1), ...container.args],
          {
            env: {
              PATH: process.env.PATH,
              ...envOf(container),
              http_proxy: agents.proxy,
            },
          },
          (error, stdout, stderr) =>
            resolve({
              code: error ? Number((error as any).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      },
    );
  } finally {
    await agents.close();
  }
}

test('passes when every instance is healthy or degraded', async () => {
  const r = await runTestPod(['healthy', 'degraded', 'healthy']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /instance 2 ready=yes \/health: \{"state":"healthy"/);
});

test('fails when one instance is unhealthy, naming it and its reasons', async () => {
  const r = await runTestPod(['healthy', 'unhealthy', 'healthy']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /instance 1 is not healthy/);
  assert.doesNotMatch(r.stderr, /instance [02]/);
  assert.match(r.stdout, /instance 1 ready=no .*guest is unhealthy/);
});

test('fails when every instance is unhealthy, starting or stopped', async () => {
  const r = await runTestPod(['unhealthy', 'starting', 'stopped']);
  assert.equal(r.code, 1);
  for (const i of [0, 1, 2])
    assert.match(r.stderr, new RegExp(`instance ${i} is not healthy`));
});

test('fails when an instance does not serve the health JSON', async () => {
  const r = await runTestPod(['healthy', 'not-json']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /instance 1: \/health is not the health JSON/);
});
