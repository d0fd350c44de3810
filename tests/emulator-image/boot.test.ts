// (b) The demo disk boots in real QEMU (TCG) with the production command line:
// banner and instance name on screen, a live status line, a working shell.
// (d) system_powerdown (the ACPI power button) makes QEMU exit.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { distinctColours, screendump, typeText } from './helpers/screen.ts';
import {
  buildDemoDisk,
  createOverlay,
  qemuCommandLine,
  removeDir,
  tempDir,
  Vm,
} from './helpers/vm.ts';

const ENV = `boot${process.pid}`;
const NAME = 'screen-check';
let dir: string;
let vm: Vm;
let launchedAt: number;

before(async () => {
  dir = await tempDir('loco-boot');
  buildDemoDisk(join(dir, 'base.qcow2'));
  createOverlay(join(dir, 'base.qcow2'), join(dir, 'disk.qcow2'));
  const argv = qemuCommandLine({
    environment: ENV,
    name: NAME,
    index: 1,
    count: 2,
    diskPath: join(dir, 'disk.qcow2'),
    runDir: dir,
  });
  launchedAt = Date.now();
  vm = await Vm.start(argv, dir);
});

after(async () => {
  await vm?.kill();
  await removeDir(dir);
});

test(
  'the screen shows the banner and the instance identity',
  { timeout: 180_000 },
  async t => {
    let rows = await vm.waitForScreen(
      'the banner',
      r => r.join('\n').includes('LEGO LOCO CLUSTER'),
      150_000,
    );
    t.diagnostic(
      `cold boot to banner: ${((Date.now() - launchedAt) / 1000).toFixed(1)} s`,
    );
    assert.match(
      rows.join('\n'),
      /#### #### ####/,
      'the big block-letter banner',
    );
    // The LAN line says "LAN: starting" until the NIC is configured.
    rows = await vm.waitForScreen(
      'the LAN line',
      r => r.some(l => l.startsWith(' LAN 10.77.0.11:')),
      30_000,
    );
    const text = rows.join('\n');
    assert.match(text, new RegExp(`\\b${NAME}\\b`), 'the name from SMBIOS');
    assert.match(text, /instance 2 of 2/, 'index and count from SMBIOS');
    assert.match(text, new RegExp(`env ${ENV}\\b`));
    assert.match(
      text,
      /\d\d:\d\d:\d\d UTC {2}\| {2}up \d+ s {2}\| {2}tick \d+ {2}\| {2}10\.77\.0\.11/,
    );
    assert.match(
      text,
      new RegExp(`LAN 10\\.77\\.0\\.11: ${ENV}-0 --`),
      'the absent peer, by its index-derived name',
    );
  },
);

test(
  'the screen is a real picture and the status line keeps changing',
  { timeout: 60_000 },
  async () => {
    const first = await screendump(vm.qmp!, dir, 'first');
    const statusBefore = (await vm.screen()).find(r => r.includes('tick'));
    assert.ok(statusBefore, 'a status line with a tick');
    // Waits for the guest to redraw its status line (a frozen guest fails
    // here), then takes the picture that must differ from the first.
    await vm.waitForScreen(
      'the status line changing',
      r => r.some(row => row.includes('tick') && row !== statusBefore),
      20_000,
    );
    const second = await screendump(vm.qmp!, dir, 'second');
    const statusAfter = (await vm.screen()).find(r => r.includes('tick'));

    assert.deepEqual(
      [first.width, first.height],
      [720, 400],
      'VGA text mode 80x25',
    );
    assert.ok(distinctColours(first) >= 4, 'not a blank screen');
    assert.notDeepEqual(first.rgb, second.rgb, 'pixels changed');
    assert.notEqual(statusBefore, statusAfter, 'clock/tick line changed');
  },
);

test(
  'keys typed on the emulated keyboard reach the shell',
  { timeout: 60_000 },
  async () => {
    await vm.waitForScreen(
      'the shell prompt',
      r => r.some(line => line.startsWith(`${NAME}:/#`)),
      30_000,
    );
    await typeText(vm.qmp!, 'echo hello-loco\n');
    // The command line echoes "echo hello-loco"; the output is a line of its own.
    const rows = await vm.waitForScreen(
      'the echo output',
      r => r.some(line => line === 'hello-loco'),
      20_000,
    );
    assert.ok(rows.some(line => line.endsWith('# echo hello-loco')));
    // The header survives the shell's output.
    assert.ok(
      rows[5].includes('LEGO LOCO CLUSTER'),
      'title row still in place',
    );
  },
);

test(
  'system_powerdown powers the guest off and QEMU exits',
  { timeout: 60_000 },
  async t => {
    const started = Date.now();
    await vm.qmp!.execute('system_powerdown');
    assert.ok(
      await vm.exitsWithin(15_000),
      'QEMU exited after the ACPI power button',
    );
    t.diagnostic(
      `power button to exit: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal((await vm.exited).code, 0);
  },
);
