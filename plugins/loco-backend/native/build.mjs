// Builds the zero-copy VNC relay (splice_relay.c, relay.c) into build/splice_relay.node
// with the C compiler and the Node-API headers of the running Node.
//   node native/build.mjs             build if missing or stale; on failure say
//                                     why and exit 0 (the gateway falls back to
//                                     its JavaScript relay)
//   node native/build.mjs --required  exit 1 when it cannot be built (CI)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const sources = ['splice_relay.c', 'relay.c'].map(f => path.join(here, f));
const output = path.join(here, 'build', 'splice_relay.node');
const required = process.argv.includes('--required');
// Official Node builds ship their headers next to bin/.
const headers = path.resolve(process.execPath, '..', '..', 'include', 'node');

function giveUp(reason) {
  const message = `splice relay not built: ${reason}`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.warn(`${message}; the VNC gateway will use its JavaScript relay`);
  process.exit(0);
}

if (process.platform !== 'linux') giveUp('splice(2) is Linux only');
if (!fs.existsSync(path.join(headers, 'node_api.h'))) {
  giveUp(`no Node-API headers at ${headers}`);
}
const newest = Math.max(
  ...[...sources, path.join(here, 'relay.h'), import.meta.filename].map(
    f => fs.statSync(f).mtimeMs,
  ),
);
if (fs.existsSync(output) && fs.statSync(output).mtimeMs >= newest) {
  process.exit(0);
}
fs.mkdirSync(path.dirname(output), { recursive: true });
const compiler = process.env.CC || 'cc';
const result = spawnSync(
  compiler,
  [
    '-O2',
    '-shared',
    '-fPIC',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-fvisibility=hidden',
    '-I',
    headers,
    ...sources,
    '-o',
    `${output}.tmp`,
  ],
  { stdio: 'inherit' },
);
if (result.error) giveUp(`${compiler}: ${result.error.message}`);
if (result.status !== 0) giveUp(`${compiler} exited with ${result.status}`);
fs.renameSync(`${output}.tmp`, output);
console.log(`built ${path.relative(process.cwd(), output)}`);
