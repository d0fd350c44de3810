// A stand-in for the backend process in qemuProcess.test.ts: spawns QEMU the
// way the local runtime does (spawnQemu), prints QEMU's pid, then idles until
// the test kills it without any chance to clean up.
import { spawnQemu } from '../qemuProcess';

const [runDir, ...qemuArgs] = process.argv.slice(2);
const qemu = spawnQemu('qemu-system-x86_64', qemuArgs, runDir);
process.stdout.write(`${qemu.child.pid}\n`);
setInterval(() => undefined, 60_000);
