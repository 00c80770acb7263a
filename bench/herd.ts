/**
 * bench:herd — what clients do to a server after an outage and in a morning rush, in simulated time (no real
 * sleeping). Cartable's arm runs the real sync core against a server model of capacity C; the baseline arms are
 * modelled from their documented behaviour, in the same run. Prints a table, writes bench/results/herd.json and an
 * SVG of arrivals per second per arm.
 *
 *   outage:  N devices each with one queued submission; the server is unreachable for 30 minutes, then returns.
 *   network: the same, but it is the devices' network that is down (a region's): they know they are offline, send
 *            nothing, and all fire `online` when it returns; every arm faces that same synchronised reconnect.
 *   rush:    N devices submit within N / 2C seconds (twice capacity), no outage.
 *   capacity-high, capacity-low: the outage, with SERVER_CAPACITY typed 2 × too high and 2 × too low. The
 *            baselines read no capacity: their figures are the outage's, and are not run again.
 *
 * Cartable's devices start with the recovery period their server announced the day before, from the capacity it had
 * measured then (capacity-meter.ts, fed by the simulated server as admission.ts feeds it), never the true figure:
 *   cartable                  the server was saturated at some point in the week (a morning rush): it measured its
 *                             capacity directly, with the error bench:capacity found for that reading;
 *   cartable-never-saturated  it never was: its figure is the projection from light load, with the error
 *                             bench:capacity found for it (a large underestimate);
 *   cartable-typed            a server that trusts SERVER_CAPACITY as typed, as Cartable did before it measured.
 * During the drain the simulated server feeds the meter each second, so the return slots it gives follow what it
 * measures then.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../src/sync/fakes.ts';
import { printTable, writeResults } from './report.ts';
import { peakShares } from '../src/protocol/send-peaks.ts';
import type { SendPeak } from '../src/protocol/schemas.ts';
import { peaksFromMinutes } from '../src/server/peak-forecast.ts';
import { PeakCalendar } from '../src/server/peak-calendar.ts';
import { ARMS, type World } from './sim/arms.ts';
import { ServerModel } from './sim/server-model.ts';
import { CapacityMeter } from '../src/server/capacity-meter.ts';
import { SimClock } from './sim/sim-clock.ts';

interface Scenario {
  name: 'outage' | 'network' | 'rush' | 'capacity-high' | 'capacity-low';
  devices: number;
  capacity: number;
  /** Server unreachable until this time (ms); 0 for none. */
  outageUntilMs: number;
  /** Items are created uniformly in [0, createWithinMs). */
  createWithinMs: number;
  /** SERVER_CAPACITY as typed, when it is not the true capacity. */
  typed?: number;
  /** The arms run; every arm when unset. */
  arms?: string[];
}

const SCALE = Number(process.env.HERD_SCALE ?? 1);
const SCENARIOS: Scenario[] = [
  {
    name: 'outage',
    devices: Math.round(10_000 * SCALE),
    capacity: 100,
    outageUntilMs: 30 * 60_000,
    createWithinMs: 60_000,
  },
  {
    name: 'network',
    devices: Math.round(10_000 * SCALE),
    capacity: 100,
    outageUntilMs: 30 * 60_000,
    createWithinMs: 60_000,
  },
  { name: 'rush', devices: Math.round(100_000 * SCALE), capacity: 500, outageUntilMs: 0, createWithinMs: 0 },
  ...([200, 50] as const).map(
    (typed): Scenario => ({
      name: typed > 100 ? 'capacity-high' : 'capacity-low',
      devices: Math.round(10_000 * SCALE),
      capacity: 100,
      outageUntilMs: 30 * 60_000,
      createWithinMs: 60_000,
      typed,
      arms: ['cartable', 'cartable-never-saturated', 'cartable-typed'],
    }),
  ),
];

/**
 * What a refusal costs the server, in submissions: measured on the real server by bench:refusal-cost (server CPU
 * per 503 against per stored submission) and read from its results; HERD_REFUSAL_COST overrides it.
 */
const REFUSAL_COST = ((): number => {
  if (process.env.HERD_REFUSAL_COST) return Number(process.env.HERD_REFUSAL_COST);
  try {
    const measured = JSON.parse(readFileSync(join(import.meta.dirname, 'results', 'refusal-cost.json'), 'utf8')) as {
      refusalCost?: number;
    };
    if (typeof measured.refusalCost === 'number') return measured.refusalCost;
  } catch {
    // not measured yet
  }
  throw new Error('run npm run bench:refusal-cost first, or set HERD_REFUSAL_COST');
})();

/**
 * How far the real server's own figures are from what it takes saturated (reading / actual), as bench:capacity
 * measured them: the projection from light load, and the reading while saturated. HERD_PROJECTION_ERROR and
 * HERD_SATURATED_ERROR override them.
 */
const MEASURE_ERRORS = ((): { projection: number; saturated: number } => {
  if (process.env.HERD_PROJECTION_ERROR && process.env.HERD_SATURATED_ERROR)
    return {
      projection: Number(process.env.HERD_PROJECTION_ERROR),
      saturated: Number(process.env.HERD_SATURATED_ERROR),
    };
  try {
    const measured = JSON.parse(readFileSync(join(import.meta.dirname, 'results', 'capacity.json'), 'utf8')) as {
      adaptive?: { projectionError?: number; saturatedError?: number };
    };
    const { projectionError, saturatedError } = measured.adaptive ?? {};
    if (typeof projectionError === 'number' && typeof saturatedError === 'number')
      return { projection: projectionError, saturated: saturatedError };
  } catch {
    // not measured yet
  }
  throw new Error('run npm run bench:capacity first, or set HERD_PROJECTION_ERROR and HERD_SATURATED_ERROR');
})();

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

interface Row {
  scenario: string;
  arm: string;
  peakPerCapacity: number;
  attemptsPerItem: number | null;
  drainPerIdeal: number | null;
  goodputPerCapacity: number | null;
  /** The same, with each refusal charged REFUSAL_COST of the server's time (see below). */
  goodputChargedPerCapacity: number | null;
  /**
   * Over the whole rush, until the last item is stored: items stored per second of it, against capacity, with the
   * refusals' cost (REFUSAL_COST of a submission each) added to the server's time when it would not have fitted.
   */
  goodputToLastItemPerCapacity: number | null;
  lost: number;
  duplicated: number;
}

/**
 * Cartable's arm in the rush, with the peak the server announced the night before (its sync policy): the rush's
 * demand forecast at `forecast` × capacity. The headline arm has the true figure (2); the two others show what a
 * forecast 25 % too low or too high does.
 */
const FORECASTS: Record<string, number> = { cartable: 2, 'cartable-forecast-1.5x': 1.5, 'cartable-forecast-2.5x': 2.5 };

/** Cartable's arms: the real sync core with the server's advice. */
const CARTABLE_VARIANTS = ['cartable-never-saturated', 'cartable-typed', 'cartable-unannounced', 'cartable-learnt'];

/** The creation times of the items, as every arm of a scenario gets them. */
function creationTimes(scenario: Scenario, createWithin: number): number[] {
  const created = new SeededRandom(99);
  return Array.from({ length: scenario.devices }, () => Math.floor(created.next() * createWithin));
}

/**
 * Day 2 of the rush: the peaks SEND_PEAKS=auto learns from day 1, the unannounced rush. The real server counts, per
 * minute, the submission times devices stamped on day 1's submissions (the same times every arm is given: the
 * rush's demand, not the server's pace) and announces the minutes above the capacity it measured on day 1
 * (saturated throughout the rush); peakShares sizes the admitted share and the spread from that forecast.
 */
function learntPeaks(scenario: Scenario, createWithin: number): SendPeak[] {
  const perMinute = new Map<string, number>();
  for (const at of creationTimes(scenario, createWithin)) {
    const minute = new Date(at).toISOString().slice(0, 16);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  // The simulated days are Thursdays (1 January 1970): the school's day of the week.
  return peaksFromMinutes(
    [...perMinute].map(([minute, n]) => ({ minute, n })),
    'UTC',
    scenario.capacity * MEASURE_ERRORS.saturated,
    [4],
  );
}
const isCartable = (armName: string) => CARTABLE_VARIANTS.includes(armName) || armName in FORECASTS;

async function run(scenario: Scenario, armName: string): Promise<{ row: Row; arrivals: number[] }> {
  const arm = ARMS[armName] ?? (isCartable(armName) ? ARMS.cartable : undefined);
  if (!arm) throw new Error(armName);
  const clock = new SimClock();
  // Cartable's server recognises a repeated id; the baselines POST, so a repeat would be stored again.
  const server = new ServerModel(
    clock,
    scenario.capacity,
    armName === 'cartable' || isCartable(armName) || armName === 'full-jitter-no-pacing',
  );
  const createWithin = scenario.createWithinMs || (scenario.devices / (2 * scenario.capacity)) * 1000;
  const typed = scenario.typed ?? scenario.capacity;
  let learntCapacity = typed;
  if (armName === 'cartable-typed') {
    server.advisedCapacity = () => typed;
  } else if (isCartable(armName)) {
    // What the server measured the day before: saturated in a rush, or only at a tenth of its capacity.
    const meter = new CapacityMeter(typed);
    const costMs = 1000 / (scenario.capacity * MEASURE_ERRORS.projection);
    const light = Math.round(scenario.capacity / 10);
    const dayBefore = -86_400_000;
    for (let k = 0; k < 600; k++)
      meter.add({ intervalMs: 1000, completed: light, busyMs: light * costMs, saturated: false, at: dayBefore + k });
    if (armName !== 'cartable-never-saturated') {
      const rush = Math.round(scenario.capacity * MEASURE_ERRORS.saturated);
      for (let k = 0; k < 60; k++)
        meter.add({ intervalMs: 1000, completed: rush, busyMs: 1000, saturated: true, at: dayBefore + 600 + k });
    }
    learntCapacity = meter.reading(0).writesPerSecond;
    server.advisedCapacity = () => meter.reading(clock.now()).writesPerSecond;
    void server.measure(meter, costMs, scenario.outageUntilMs + 3 * 3600_000);
  }
  const world: World = { clock, server, devices: scenario.devices, abandoned: new Set(), learntCapacity };
  const forecast = FORECASTS[armName];
  if (scenario.name === 'rush' && armName === 'cartable-learnt') world.sendPeaks = learntPeaks(scenario, createWithin);
  if (scenario.name === 'rush' && forecast !== undefined) {
    // The simulated clock starts on Thursday 1 January 1970, 00:00 UTC; the peak covers the rush (to the minute).
    const { admit, spreadSeconds } = peakShares(forecast, createWithin / 1000);
    const end = Math.ceil(createWithin / 60_000);
    world.sendPeaks = [{ start: '00:00', end: `00:${String(end).padStart(2, '0')}`, days: [4], admit, spreadSeconds }];
  }
  if (world.sendPeaks) {
    // The server announced it, so it sends the clients it refuses during the peak past the held-back window
    // (the real server's calendar of announced peaks).
    const calendar = new PeakCalendar();
    calendar.announce('sim', 'UTC', world.sendPeaks);
    server.heldBackUntil = (now) => calendar.heldBackUntil(now);
  }
  if (scenario.outageUntilMs > 0) {
    // For the devices either way the server cannot be reached; in `network` they also know they are offline.
    server.down = true;
    world.reconnectAt = scenario.outageUntilMs;
    if (scenario.name === 'network') world.networkDownUntil = scenario.outageUntilMs;
    const recover = async () => {
      await clock.sleep(scenario.outageUntilMs);
      server.down = false;
    };
    void recover();
  }
  const created = creationTimes(scenario, createWithin);
  for (let d = 0; d < scenario.devices; d++) {
    void arm(world, d, `item-${d}`, created[d] ?? 0).catch((err: unknown) => {
      throw err;
    });
  }
  await clock.run(scenario.outageUntilMs + 3 * 3600_000);

  const from = Math.floor(scenario.outageUntilMs / 1000);
  // Array.from, not map: the per-second series are sparse, and map skips holes.
  const after = Array.from(server.arrivals.slice(from), (n) => n ?? 0);
  const delivered = server.stored.size;
  const storedTimes = [...server.stored.values()].reduce((a, b) => a + b, 0);
  const idealMs = (scenario.devices / scenario.capacity) * 1000;
  const drainMs = server.lastStoredAt - scenario.outageUntilMs;
  const attempts = after.reduce((a, b) => a + b, 0);
  const rush = scenario.name === 'rush';
  const goodputToLast = () => {
    const attemptsAll = server.arrivals.reduce((a, b) => a + (b ?? 0), 0);
    const stores = server.served.reduce((a, b) => a + (b ?? 0), 0);
    const seconds = Math.max(
      server.lastStoredAt / 1000,
      (stores + REFUSAL_COST * (attemptsAll - stores)) / scenario.capacity,
    );
    return delivered / seconds / scenario.capacity;
  };
  const window = Array.from({ length: Math.floor(createWithin / 1000) }, (_, k) => ({
    arrivals: server.arrivals[k] ?? 0,
    served: server.served[k] ?? 0,
  }));
  return {
    arrivals: after,
    row: {
      scenario: scenario.name,
      arm: armName,
      peakPerCapacity: Math.max(0, ...after) / scenario.capacity,
      attemptsPerItem: delivered ? attempts / delivered : null,
      drainPerIdeal: delivered ? drainMs / idealMs : null,
      // While the demand is at twice capacity (the rush window), how much of its capacity the server spends storing.
      goodputPerCapacity: rush ? sum(window.map((s) => s.served)) / window.length / scenario.capacity : null,
      // A first-order estimate of the same with refusals charged: each second, the time the refusals took
      // (REFUSAL_COST of a submission each) is taken from what was stored. The refusals' effect on the dynamics
      // (fewer stored, hence more retries) is not simulated: with it, the arms that retry hardest collapse to zero
      // and the simulation cannot finish.
      goodputChargedPerCapacity: rush
        ? sum(
            window.map((s) =>
              Math.max(0, Math.min(s.served, scenario.capacity - REFUSAL_COST * Math.max(0, s.arrivals - s.served))),
            ),
          ) /
          window.length /
          scenario.capacity
        : null,
      goodputToLastItemPerCapacity: rush && delivered ? goodputToLast() : null,
      lost: scenario.devices - delivered,
      duplicated: storedTimes - delivered,
    },
  };
}

/** Arrivals per second after the start of recovery, one polyline per arm. */
function svg(title: string, capacity: number, series: Record<string, number[]>, seconds: number): string {
  const width = 900;
  const height = 360;
  const pad = 50;
  // The axis stops at 4 × capacity (higher values are clipped) so the region around capacity stays readable.
  const peak = capacity * 4;
  const x = (s: number) => pad + (s / seconds) * (width - 2 * pad);
  const y = (v: number) => height - pad - (Math.min(v, peak) / peak) * (height - 2 * pad);
  const colours = ['#1d4ed8', '#b91c1c', '#b45309', '#6d28d9', '#15803d'];
  const lines = Object.entries(series).map(([name, s], i) => {
    const points = Array.from({ length: seconds }, (_, k) => `${x(k).toFixed(1)},${y(s[k] ?? 0).toFixed(1)}`).join(' ');
    const colour = colours[i % colours.length];
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/><text x="${width - pad - 170}" y="${pad + 16 * i}" fill="${colour}" font-size="12">${name}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad}" y="24" font-size="14">${title}</text>`,
    `<line x1="${pad}" y1="${y(capacity)}" x2="${width - pad}" y2="${y(capacity)}" stroke="#555" stroke-dasharray="4 4"/>`,
    `<text x="${pad + 4}" y="${y(capacity) - 4}" font-size="11" fill="#555">capacity ${capacity}/s</text>`,
    `<text x="${pad}" y="${height - 12}" font-size="11">0 s</text><text x="${width - pad - 30}" y="${height - 12}" font-size="11">${seconds} s</text>`,
    `<text x="8" y="${pad}" font-size="11">${Math.round(peak)}/s</text>`,
    `<text x="${pad}" y="40" font-size="11" fill="#555">axis clipped at 4 × capacity; see herd.json for the peaks</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}

/** Every (scenario, arm) the run simulates, in the order of the table. */
function tasks(): { scenario: Scenario['name']; arm: string }[] {
  return SCENARIOS.flatMap((scenario) => {
    const everyArm = [...Object.keys(ARMS), ...(scenario.name === 'rush' ? [] : ['cartable-never-saturated'])];
    const rushVariants = [
      ...Object.keys(FORECASTS).filter((a) => a !== 'cartable'),
      'cartable-unannounced',
      'cartable-learnt',
    ];
    const arms = scenario.arms ?? [...everyArm, ...(scenario.name === 'rush' ? rushVariants : [])];
    return arms.map((arm) => ({ scenario: scenario.name, arm }));
  }).filter((t) => !ONLY || ONLY.includes(`${t.scenario}/${t.arm}`) || ONLY.includes(t.scenario));
}

/** HERD_ONLY=rush,outage/cartable runs only those scenarios or scenario/arm pairs. */
const ONLY = process.env.HERD_ONLY?.split(',').map((s) => s.trim());

const scenarioNamed = (name: string): Scenario => {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(name);
  return found;
};

/** Seconds each run took, for the slowest ones printed at the end. */
const took = new Map<string, number>();

/**
 * The runs are independent: HERD_WORKERS processes (the machine's cores by default) take them in turn, the longest
 * first, and this process puts the table together. Each run is single-threaded and deterministic, so the figures
 * are the same as in one process.
 */
async function runAll(): Promise<Map<string, { row: Row; arrivals: number[] }>> {
  const all = tasks();
  const results = new Map<string, { row: Row; arrivals: number[] }>();
  const workers = Math.max(1, Math.min(all.length, Number(process.env.HERD_WORKERS ?? availableParallelism())));
  // The rush has ten times the devices: its runs go first so that no worker is left with one at the end.
  const queue = [...all].sort((a, b) => scenarioNamed(b.scenario).devices - scenarioNamed(a.scenario).devices);
  await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = fork(import.meta.filename, [], {
            execArgv: process.execArgv,
            env: { ...process.env, HERD_WORKER: '1' },
          });
          const next = () => {
            const task = queue.shift();
            if (task) child.send(task);
            else child.disconnect();
          };
          child.on('message', (message: { key: string; row: Row; arrivals: number[]; seconds: number }) => {
            results.set(message.key, { row: message.row, arrivals: message.arrivals });
            took.set(message.key, message.seconds);
            next();
          });
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`herd worker exited ${code}`))));
          next();
        }),
    ),
  );
  return results;
}

if (process.env.HERD_WORKER) {
  process.on('message', (task: { scenario: Scenario['name']; arm: string }) => {
    const began = performance.now();
    void run(scenarioNamed(task.scenario), task.arm).then(({ row, arrivals }) =>
      process.send?.({
        key: `${task.scenario}/${task.arm}`,
        row,
        arrivals,
        seconds: (performance.now() - began) / 1000,
      }),
    );
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const started = Date.now();
  const results = await runAll();
  const rows: Row[] = [];
  for (const scenario of SCENARIOS) {
    const series: Record<string, number[]> = {};
    for (const task of tasks().filter((t) => t.scenario === scenario.name)) {
      const result = results.get(`${task.scenario}/${task.arm}`);
      if (!result) throw new Error(`no result for ${task.scenario}/${task.arm}`);
      rows.push(result.row);
      series[task.arm] = result.arrivals;
    }
    // A partial run (HERD_ONLY) prints its table and leaves the recorded results and charts alone.
    if (ONLY) continue;
    const title =
      scenario.name === 'outage'
        ? `${scenario.devices} devices after a 30-minute outage: arrivals per second at the server`
        : scenario.name === 'network'
          ? `${scenario.devices} devices whose network returns at once after 30 minutes: arrivals per second`
          : scenario.name === 'rush'
            ? `${scenario.devices} devices at twice capacity: arrivals per second at the server`
            : `${scenario.devices} devices after a 30-minute outage, SERVER_CAPACITY typed ${scenario.typed}: arrivals per second`;
    writeFileSync(
      join(import.meta.dirname, 'results', `herd-${scenario.name}.svg`),
      svg(title, scenario.capacity, series, 600),
    );
  }
  printTable(
    rows.map((r) => ({
      scenario: r.scenario,
      arm: r.arm,
      'peak/capacity': r.peakPerCapacity,
      'attempts/item': r.attemptsPerItem ?? '-',
      'drain/ideal': r.drainPerIdeal ?? '-',
      'goodput/capacity': r.goodputPerCapacity ?? '-',
      'goodput, refusals charged': r.goodputChargedPerCapacity ?? '-',
      'goodput to last item, charged': r.goodputToLastItemPerCapacity ?? '-',
      lost: r.lost,
      duplicated: r.duplicated,
    })),
  );
  /**
   * The most any client policy can keep when new work arrives at `overload` × capacity and each item's first attempt
   * reaches the server: per second, stored (S) + refusals (≥ overload·C − S) × REFUSAL_COST ≤ C, hence
   * S ≤ C (1 − overload·r) / (1 − r). Retries only lower it. Only work that never reaches the server in the rush (sent
   * before or after it, or refused by something in front of it) escapes this bound.
   */
  const OVERLOAD = 2;
  const goodputBound = (1 - OVERLOAD * REFUSAL_COST) / (1 - REFUSAL_COST);
  console.log(
    `goodput bound at ${OVERLOAD} × capacity with refusals at ${REFUSAL_COST} of a submission: ${goodputBound.toFixed(2)}`,
  );
  console.log(
    `the servers' figures, as bench:capacity measured them: projected ${MEASURE_ERRORS.projection}, saturated ${MEASURE_ERRORS.saturated} of what they take`,
  );
  const slowest = [...took].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(`slowest runs: ${slowest.map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
  console.log(`simulated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (ONLY) return;
  console.log(
    `written: ${writeResults('herd', { rows, scenarios: SCENARIOS, refusalCost: REFUSAL_COST, measureErrors: MEASURE_ERRORS, goodputBound })}`,
  );
}
