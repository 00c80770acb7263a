/**
 * bench:power-loss — acknowledged-but-lost submissions across real power cuts, not process kills. kill -9 of the
 * server keeps the operating system's page cache, so it cannot tell synchronous=FULL from OFF. Here the server runs in
 * a small virtual machine (bench/power-loss/build-vm.sh: Debian's kernel, busybox, Node, the built server; the
 * database on an ext4 virtio disk); a cut is SIGKILL of qemu under load: what the guest had not flushed to its disk is
 * gone with its memory, as on a power failure. The VM boots again on the same disk, the server recovers the database,
 * and every submission acknowledged (201) before the cut is looked up through the teacher's list.
 *
 * FULL and OFF run side by side: OFF must lose acknowledged work (proving the benchmark can see a loss), FULL must lose
 * none. KVM is used where it boots; elsewhere (this project's machines are themselves VMs without the CPU features
 * Debian's kernel needs under KVM) qemu emulates the CPU in software, slower but the same disk semantics.
 * Writes bench/results/power-loss.json. Not part of npm test (minutes, and qemu).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { printTable, writeResults } from './report.ts';

const CUTS = Number(process.env.POWER_LOSS_CUTS ?? 5);
const LOOPS = Number(process.env.POWER_LOSS_LOOPS ?? 8);
const PORT = Number(process.env.POWER_LOSS_PORT ?? 18_555);
const url = `http://127.0.0.1:${PORT}`;

const dir =
  execFileSync('bash', ['bench/power-loss/build-vm.sh'], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Vm {
  child: ChildProcess;
  output: () => string;
}

function boot(disk: string, sync: 'FULL' | 'OFF', accel: 'kvm' | 'tcg'): Vm {
  const kernelLine = `console=ttyS0 edd=off panic=-1 quiet cartable_sync=${sync === 'OFF' ? 'OFF_LOSES_ACKNOWLEDGED_WORK' : 'FULL'}`;
  const args = [
    ...(accel === 'kvm' ? ['-enable-kvm', '-cpu', 'host,-arch-capabilities'] : ['-accel', 'tcg', '-cpu', 'max']),
    '-m',
    '1536',
    '-smp',
    '1',
    '-nographic',
    '-no-reboot',
    '-kernel',
    join(dir, 'vmlinuz'),
    '-initrd',
    join(dir, 'initramfs.cpio'),
    '-append',
    kernelLine,
    // cache=writeback: a guest flush (fsync) reaches the disk image; what the guest only wrote stays in its memory.
    '-drive',
    `file=${disk},format=raw,if=virtio,cache=writeback`,
    '-netdev',
    `user,id=n0,hostfwd=tcp:127.0.0.1:${PORT}-:8080`,
    '-device',
    'virtio-net-pci,netdev=n0',
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** Resolves once the server in the VM answers, with the seconds it took; undefined past `timeoutMs`. */
async function healthy(vm: Vm, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (vm.child.exitCode !== null) return undefined;
    try {
      if ((await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) })).ok)
        return (Date.now() - started) / 1000;
    } catch {
      // not up yet
    }
    await sleep(300);
  }
  return undefined;
}

async function cut(vm: Vm): Promise<void> {
  const exited = new Promise<void>((r) => vm.child.once('exit', () => r()));
  vm.child.kill('SIGKILL');
  await exited;
}

async function signIn(username: string, secret: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function currentWeek(token: string): Promise<string> {
  const res = await fetch(`${url}/api/classes/cm2-b/weeks`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { weeks: { week: string }[] }).weeks.at(-1)?.week ?? '';
}

/** Submissions from LOOPS loops until `stop`; the ids answered 201. */
async function load(token: string, week: string, stop: () => boolean): Promise<string[]> {
  const acknowledged: string[] = [];
  const loop = async () => {
    while (!stop()) {
      const id = randomUUID();
      try {
        const res = await fetch(`${url}/api/submissions/${id}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            classId: 'cm2-b',
            week,
            assignmentId: 'exercices-fractions',
            text: `coupure ${id}`,
            files: [],
            submittedAt: new Date().toISOString(),
          }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status === 201) acknowledged.push(id);
      } catch {
        if (stop()) return;
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, loop));
  return acknowledged;
}

/** The submission ids the server holds for the demo assignment (the teacher's list). */
async function storedIds(week: string): Promise<Set<string>> {
  const token = await signIn('mme.martin', 'tableau-noir');
  const res = await fetch(`${url}/api/classes/cm2-b/weeks/${week}/assignments/exercices-fractions/submissions`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) return new Set(); // the week itself is gone: nothing of it is stored
  const body = (await res.json()) as { pupils: { submissions: { submissionId: string }[] }[] };
  return new Set(body.pupils.flatMap((p) => p.submissions.map((s) => s.submissionId)));
}

/** KVM where it boots the VM within 20 s; software emulation otherwise. */
async function chooseAccel(disk: string): Promise<'kvm' | 'tcg'> {
  if (!existsSync('/dev/kvm')) return 'tcg';
  const vm = boot(disk, 'FULL', 'kvm');
  const up = await healthy(vm, 20_000);
  await cut(vm);
  return up === undefined ? 'tcg' : 'kvm';
}

function freshDisk(name: string): string {
  const disk = join(dir, `${name}.img`);
  rmSync(disk, { force: true });
  execFileSync('truncate', ['-s', '512M', disk]);
  execFileSync('mkfs.ext4', ['-q', '-F', disk]);
  return disk;
}

const accel = await chooseAccel(freshDisk('probe'));
console.log(
  `qemu acceleration: ${accel}${accel === 'tcg' ? ' (KVM did not boot the VM here: software emulation)' : ''}`,
);
const rows: Record<string, string | number>[] = [];
const totals = { FULL: { acknowledged: 0, lost: 0 }, OFF: { acknowledged: 0, lost: 0 } };
const boots: number[] = [];
for (const sync of ['FULL', 'OFF'] as const) {
  const disk = freshDisk(sync.toLowerCase());
  let vm = boot(disk, sync, accel);
  const first = await healthy(vm, 180_000);
  if (first === undefined) throw new Error(`the VM did not serve (${sync}):\n${vm.output().slice(-2000)}`);
  boots.push(first);
  for (let i = 0; i < CUTS; i++) {
    const pupil = await signIn('lea', 'soleil-12');
    const week = await currentWeek(pupil);
    // Load for a few seconds, then the power goes while requests are in flight.
    let stopped = false;
    const loading = load(pupil, week, () => stopped);
    await sleep(3000 + Math.random() * 3000);
    await cut(vm);
    stopped = true;
    const acknowledged = await loading;
    // Power back: the VM boots on the same disk and the server recovers the database.
    vm = boot(disk, sync, accel);
    const back = await healthy(vm, 180_000);
    if (back === undefined) throw new Error(`the VM did not come back (${sync}):\n${vm.output().slice(-2000)}`);
    boots.push(back);
    const stored = await storedIds(week);
    const lost = acknowledged.filter((id) => !stored.has(id)).length;
    totals[sync].acknowledged += acknowledged.length;
    totals[sync].lost += lost;
    rows.push({ synchronous: sync, cut: i + 1, acknowledged: acknowledged.length, 'acknowledged but lost': lost });
    console.log(`${sync} cut ${i + 1}: ${acknowledged.length} acknowledged, ${lost} lost`);
  }
  await cut(vm);
}
printTable(rows);
const medianBoot = [...boots].sort((a, b) => a - b)[Math.floor(boots.length / 2)] ?? 0;
console.log(
  `\nFULL lost ${totals.FULL.lost} of ${totals.FULL.acknowledged} (goal 0); OFF lost ${totals.OFF.lost} of ${totals.OFF.acknowledged} (must be > 0)`,
);
console.log(`boot to a serving server: ${medianBoot.toFixed(1)} s median (${accel})`);
const path = writeResults('power-loss', {
  fullLost: totals.FULL.lost,
  offLost: totals.OFF.lost,
  cuts: CUTS,
  fullAcknowledged: totals.FULL.acknowledged,
  offAcknowledged: totals.OFF.acknowledged,
  accel,
  medianBootSeconds: medianBoot,
  rows,
});
console.log(`figures written to ${path}`);
