// Detection that cannot take the app down: the driver libraries load in the probe's child process, so a driver that
// crashes (aborts) or hangs inside nvmlInit ends that child, and the agent's hardware service still answers, through
// the vendors' tools, with a sentence saying what happened. The real addon and its real dlopen path, on a fake
// libnvidia-ml (fake-broken-nvml.c) that fails mid-call; the fallback reads the same machine's real nvidia-smi capture.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { HardwareReportSchema } from '../../main/common/hardware.js';
import { createDefaultProbe } from '../../main/core/hardware/default-probe.js';
import { createNativeProbe } from '../../main/core/hardware/native-probe.js';
import { ProbeReplySchema, type ProbeRequest } from '../../main/core/hardware/probe-child-protocol.js';
import { startProbeChild } from '../../main/core/hardware/probe-child-start.js';
import { createHardwareService } from '../../main/core/hardware/service.js';
import { compile, fakeMachine, FIXTURES, requireAddon, ROOT, type FakeMachine } from '../fixtures/hardware/machine.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

const probeOptions = (machine: FakeMachine, probeTimeoutMs?: number, probeChild?: ChildProcess) => ({
  root: ROOT,
  nvmlLibraries: machine.nvmlLibraries,
  rocmLibraries: machine.rocmLibraries,
  levelZeroLibraries: machine.levelZeroLibraries,
  sysRoot: machine.sysRoot,
  env: machine.env,
  pciNames: machine.pciNames,
  ...(probeTimeoutMs === undefined ? {} : { probeTimeoutMs }),
  ...(probeChild === undefined ? {} : { probeChild }),
});

/** The dual-A5000 machine whose NVML crashes or hangs inside nvmlInit; returns the file the call creates on entry. */
async function brokenDriver(machine: FakeMachine, how: 'FAKE_CRASH' | 'FAKE_HANG'): Promise<string> {
  const machineFile = join(await tempDir(), 'nvml.txt');
  await copyFile(join(FIXTURES, 'nvidia-smi', 'dual-a5000-590', 'nvml.txt'), machineFile);
  await compile('fake-broken-nvml.c', machineFile, machine.nvmlLibraries[0]!, [`-D${how}`]);
  return `${machineFile}.entered`;
}

/** Resolves once `child` answers a request that loads no driver: it is up and listening. */
async function answered(child: ChildProcess): Promise<void> {
  const request: ProbeRequest = { id: -1, call: 'apple', library: '' };
  child.send(request);
  const [reply] = (await once(child, 'message')) as [unknown];
  assert.equal(ProbeReplySchema.parse(reply).id, -1);
}

async function serviceOver(machine: FakeMachine, probeTimeoutMs?: number, probeChild?: ChildProcess) {
  const logger = new MemoryLogger();
  const probe = createDefaultProbe(probeOptions(machine, probeTimeoutMs, probeChild));
  const hardware = createHardwareService({ probe, clock: new FakeClock(), logger, cacheDir: await tempDir(), autoBenchmark: false });
  return { probe, hardware, logger };
}

test('the child answers what the addon answers in-process, the same report to the field', { timeout: 120_000 }, async () => {
  const machine = await fakeMachine('dual-a5000-590', 'rx6700xt-rocm612');
  const { probe } = await serviceOver(machine);
  const [isolated, inProcess] = await Promise.all([
    probe.detect(),
    createNativeProbe(requireAddon().addon, { kind: 'native', reason: 'test' }, machine).detect(),
  ]);
  assert.equal(probe.provider.kind, 'native', 'no fallback: the child answered');
  assert.deepEqual(HardwareReportSchema.parse(isolated), HardwareReportSchema.parse(inProcess));
  assert.equal(isolated.vendors.nvidia.gpus[0]?.sources.memoryUsedBytes, 'nvmlDeviceGetMemoryInfo_v2', "NVML's answer, not a tool's");
});

/** Pids of this process's probe children, from /proc (their command line names the entry). */
async function probeChildren(): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const ours = await Promise.all(
    pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      // Field 4 of stat, after the parenthesised command name, is the parent's pid.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return parent === process.pid && cmdline.includes('probe-child') ? Number(pid) : null;
    }),
  );
  return ours.filter((pid) => pid !== null);
}

test(
  'one child answers detection after detection (telemetry asks every 2 s), not a Node start each time',
  { timeout: 120_000 },
  async () => {
    const { probe } = await serviceOver(await fakeMachine('dual-a5000-590', 'missing'));
    // Other tests' probes keep their idle children a while: only the ones started from here count.
    const earlier = new Set(await probeChildren());
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const report = await probe.detect();
      assert.equal(report.vendors.nvidia.gpus.length, 2);
      for (const pid of await probeChildren()) if (!earlier.has(pid)) seen.add(pid);
    }
    assert.equal(seen.size, 1, `probe children seen: ${[...seen].join(', ')}`);
    assert.equal(probe.provider.kind, 'native');
    // It does not hold this process open between detections: were it ref'd, this test file would never end.
  },
);

test(
  'a driver that aborts mid-call ends the probe child; detection answers through nvidia-smi and says so',
  { timeout: 120_000 },
  async () => {
    const machine = await fakeMachine('dual-a5000-590', 'missing');
    const entered = await brokenDriver(machine, 'FAKE_CRASH');
    const { probe, hardware, logger } = await serviceOver(machine);
    assert.equal(probe.provider.kind, 'native');

    const snapshot = await hardware.refresh();
    assert.ok(existsSync(entered), 'the driver call was under way when the child died');
    assert.equal(snapshot.provider.kind, 'fallback');
    assert.match(
      snapshot.provider.reason,
      /^GPU detection failed: a graphics driver stopped the detection process while it was asked about its GPUs\. The GPUs were read with the vendors' own tools instead\./,
    );
    // The same machine as nvidia-smi shows it, and the CPU device beside it.
    assert.deepEqual(
      snapshot.devices.map((d) => d.id),
      ['GPU-12345678-aaaa-bbbb-cccc-0123456789ab', 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd', 'cpu'],
    );
    assert.equal(snapshot.report.vendors.nvidia.gpus[0]?.sources.memoryUsedBytes, 'nvidia-smi -q -x');
    assert.deepEqual(logger.lines.filter((l) => l.includes('GPU detection failed')).length, 1, 'logged once, when the provider changed');

    // The broken driver is not asked again in this run: the next detection goes straight to the tools.
    await rm(entered);
    const again = await hardware.refresh();
    assert.equal(again.provider.reason, snapshot.provider.reason);
    assert.equal(again.devices.length, 3);
    assert.equal(existsSync(entered), false);
  },
);

test(
  'a driver that hangs mid-call: the child is killed at the time limit and detection answers all the same',
  { timeout: 120_000 },
  async () => {
    const machine = await fakeMachine('dual-a5000-590', 'missing');
    const entered = await brokenDriver(machine, 'FAKE_HANG');
    // The child, started from source through tsx (seconds on a busy machine), has answered once before the probe takes
    // it (as `npm run detect` starts it early): the time limit then covers only the driver call.
    const child = startProbeChild(ROOT);
    await answered(child);
    const { hardware } = await serviceOver(machine, 3_000, child);
    const snapshot = await hardware.refresh();
    assert.ok(existsSync(entered), 'killed inside the driver call, not before it');
    assert.match(snapshot.provider.reason, /^GPU detection failed: the detection process did not answer within 3 s\./);
    assert.equal(snapshot.report.vendors.nvidia.gpus.length, 2);
  },
);
