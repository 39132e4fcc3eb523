// What is worth telling (core/notices/tell.ts), from real agent states: once per change, deduplicated,
// rate-limited, and only the kinds the user chose; the agent hands them to the shell and keeps them in its activity log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SettingsSchema, type TellKind } from '../../main/common/settings.js';
import type { AgentState } from '../../main/common/state.js';
import { BURST, DEDUPE_MS, freshMemory, limit, OFFLINE_TELL_MS, tell, updateTell, type TellMemory } from '../../main/core/notices/tell.js';
import { testAgent } from '../helpers/agent.js';

const all = (_kind: TellKind): boolean => true;
const NOW = Date.UTC(2026, 10, 25, 12);

async function baseState(): Promise<AgentState> {
  const { agent } = await testAgent();
  await agent.call({ cmd: 'setShare', args: { on: true } });
  const state = agent.state();
  await agent.close();
  return state;
}

/** The state with every device blocked by `code`. */
const blockedBy = (state: AgentState, code: 'ON_BATTERY' | 'USER_BUSY' | 'CPU_HOT'): AgentState => ({
  ...state,
  decision: {
    ...state.decision!,
    devices: state.decision!.devices.map((d) => ({ ...d, run: false, reasons: [{ code, message: code, blocking: true }] })),
  },
});

function run(states: AgentState[], step = 1000, memory: TellMemory = freshMemory(), wanted = all, start = NOW) {
  const said: string[] = [];
  states.forEach((state, i) => {
    const out = tell(state, memory, start + i * step, wanted);
    memory = out.memory;
    said.push(...out.tells.map((t) => t.body));
  });
  return { said, memory };
}

test('a pause on battery is told once, and its end; a pause because the user is busy is not news', { timeout: 120_000 }, async () => {
  const base = await baseState();
  const battery = blockedBy(base, 'ON_BATTERY');
  const { said } = run([base, battery, battery, battery, base, blockedBy(base, 'USER_BUSY'), base]);
  assert.deepEqual(said, [
    'Sharing paused because on battery. It resumes by itself.',
    'Sharing resumed: on battery no longer holds it back.',
  ]);
});

test('a locked wallet, a claim becoming ready and each new broken device are told once', { timeout: 120_000 }, async () => {
  const base = await baseState();
  const locked: AgentState = {
    ...base,
    wallet: { ...base.wallet, wallet: { state: 'locked', address: '0x' + '1'.repeat(40), storage: 'keystore-file', backup: 'confirmed' } },
  };
  const claim: AgentState = { ...base, wallet: { ...base.wallet, claimable: '1500000000000000000' } };
  const gpu: AgentState = {
    ...claim,
    work: { ...claim.work, notices: ['GPU 0 stopped: its CUDA libraries are missing; its tasks run on the processor.'] },
  };
  const { said } = run([locked, locked, base, claim, claim, gpu, gpu]);
  assert.deepEqual(said, [
    'Open Synor Contributor and unlock your wallet to keep earning.',
    '1.5 SYNOR can be claimed to your wallet.',
    'GPU 0 stopped: its CUDA libraries are missing; its tasks run on the processor.',
  ]);
});

test('the network being unreachable is told only after 10 minutes, once', { timeout: 120_000 }, async () => {
  const base = await baseState();
  const network = {
    code: 'offline' as const,
    message: 'Offline',
    url: 'http://127.0.0.1:1/',
    devnet: true,
    label: 'devnet',
    queued: 2,
    activeLeases: 0,
    retryAt: null,
  };
  const offline: AgentState = { ...base, work: { ...base.work, network } };
  const minute = 60_000;
  const states = Array.from({ length: 15 }, () => offline);
  const out = run(states, minute);
  assert.equal(out.said.length, 1);
  assert.match(out.said[0]!, /unreachable for 10 minutes/);
  assert.equal(run(states.slice(0, OFFLINE_TELL_MS / minute), minute).said.length, 0);
});

test('flapping says the same thing at most once per half hour, and bursts are cut at three a minute', { timeout: 120_000 }, async () => {
  const base = await baseState();
  const hot = blockedBy(base, 'CPU_HOT');
  const flapping = run([base, hot, base, hot, base, hot], 60_000);
  assert.deepEqual(flapping.said, [
    'Sharing paused because the processor is hot. It resumes by itself.',
    'Sharing resumed: the processor is hot no longer holds it back.',
  ]);
  const after = run([base, hot], 60_000, flapping.memory, all, NOW + 5 * 60_000 + DEDUPE_MS);
  assert.deepEqual(after.said, [...flapping.said].reverse(), 'said again once the half hour has passed');
  const many = [1, 2, 3, 4, 5].map((n) => ({ ...updateTell(`1.0.${n}`) }));
  assert.equal(limit(many, freshMemory(), NOW).tells.length, BURST);
});

test('only the kinds the user chose are told', { timeout: 120_000 }, async () => {
  const base = await baseState();
  const { said } = run([base, blockedBy(base, 'ON_BATTERY')], 1000, freshMemory(), (kind) => kind !== 'pause');
  assert.deepEqual(said, []);
});

test('settings files from before the choice existed load with every kind on', { timeout: 120_000 }, () => {
  const { notifications, ...older } = DEFAULT_SETTINGS;
  assert.deepEqual(SettingsSchema.parse(older).notifications, notifications);
  assert.ok(!SettingsSchema.safeParse({ ...older, notifications: ['spam'] }).success);
});

test(
  'the agent emits what is worth telling and keeps it in the activity log, filed by its kind (a pause under policy)',
  { timeout: 120_000 },
  async () => {
    const { agent, ports } = await testAgent();
    const told: { title: string; body: string }[] = [];
    agent.onTell((item) => told.push(item));
    await agent.call({ cmd: 'setShare', args: { on: true } });
    ports.os.power = { onBattery: true, batteryPercent: 80, charging: false, batterySaver: false };
    await agent.tick();
    assert.deepEqual(
      told.map((t) => t.title),
      ['Sharing paused'],
    );
    const activity = await agent.call({ cmd: 'getActivity', args: {} });
    assert.ok(
      activity.ok &&
        (activity.value as { kind: string; message: string }[]).some((e) => e.kind === 'policy' && e.message === told[0]!.body),
    );
    await agent.call({ cmd: 'updateSettings', args: { notifications: [] } });
    ports.os.power = { onBattery: false, batteryPercent: 80, charging: true, batterySaver: false };
    await agent.tick();
    assert.equal(told.length, 1);
    await agent.close();
  },
);
