// Medians and the printed tables of the gateway bench.
import type { PathFigures } from './measure.ts';

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Each figure's median over the rounds (null when any round had none). */
export function medianOf<T extends object>(rounds: T[]): T {
  const result: Record<string, number | null> = {};
  for (const key of Object.keys(rounds[0])) {
    const values = rounds.map(r => (r as Record<string, number | null>)[key]);
    result[key] = values.includes(null) ? null : median(values as number[]);
  }
  return result as T;
}

const f = (n: number | null, digits = 1) =>
  n === null || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

/** The table of one leg, then the targets and the JavaScript fallback. */
export function printLeg(
  title: string,
  [direct, websockify, gateway, jsGateway]: PathFigures[],
) {
  console.log(
    `\n${title}, medians over the rounds\npath           MB/s    x direct  proxy CPU-s/GB  p50 us  p99 us  added p50 us`,
  );
  for (const r of [direct, websockify, gateway, jsGateway]) {
    console.log(
      [
        r.name.padEnd(13),
        f(r.mbPerS, 0).padStart(6),
        f(r.mbPerS / direct.mbPerS, 2).padStart(9),
        f(r.cpuSecondsPerGb, 2).padStart(15),
        f(r.p50).padStart(7),
        f(r.p99).padStart(7),
        f(r.p50 - direct.p50).padStart(13),
      ].join(' '),
    );
  }
  const ratio = (a: PathFigures) => ({
    throughput: a.mbPerS / websockify.mbPerS,
    cpu: a.cpuSecondsPerGb! / websockify.cpuSecondsPerGb!,
    addedP50: a.p50 - direct.p50,
  });
  const ours = ratio(gateway);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('gateway vs websockify (targets from issue 5):');
  console.log(
    `  throughput        ${f(
      ours.throughput,
      2,
    )}x websockify   target >= 1.00x  ${met(ours.throughput >= 1)}`,
  );
  console.log(
    `  CPU per GB        ${f(ours.cpu, 2)}x websockify   target <= 0.70x  ${met(
      ours.cpu <= 0.7,
    )}`,
  );
  console.log(
    `  added p50 latency ${f(ours.addedP50)} us (websockify ${f(
      websockify.p50 - direct.p50,
    )} us)   target < 50 us  ${met(ours.addedP50 < 50)}`,
  );
  const js = ratio(jsGateway);
  console.log(
    `JavaScript relay (the fallback without the native one): throughput ${f(
      js.throughput,
      2,
    )}x websockify, CPU per GB ${f(js.cpu, 2)}x, added p50 ${f(
      js.addedP50,
    )} us`,
  );
}
