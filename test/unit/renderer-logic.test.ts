// The renderer's pure parts: the one status model, amounts, hash routes and reply parsing (issue 16, issue 20).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentState } from '../../main/common/state.js';
import { parseEvent, parseReply } from '../../renderer/src/lib/parse.js';
import { formatUnits, perHour } from '../../renderer/src/lib/format.js';
import { fixFor, overall } from '../../renderer/src/lib/status.js';
import { gpuSplit } from '../../renderer/src/lib/use.js';

const opts = { timeout: 5000 };

test('amounts: a rate in integer wei', opts, () => {
  assert.equal(perHour(10n ** 18n, 1_800_000), 2n * 10n ** 18n);
  assert.equal(formatUnits(perHour(7_600_000_000_000n, 150_000).toString()), '0.0001824');
});

test('policy reasons get their fix: a setting the system cannot honour is switched off in one click', opts, () => {
  assert.deepEqual(fixFor('IDLE_UNKNOWN'), {
    label: 'Share without waiting for idle time',
    patch: { idleOnly: { enabled: false, minutes: 10 } },
  });
  assert.deepEqual(fixFor('USER_BUSY'), {
    label: 'Keep sharing while my programs are busy',
    patch: { pauseWhenUserCpuAbovePercent: null },
  });
  assert.deepEqual(fixFor('APP_RUNNING'), { label: 'Change this in Settings', href: '#/settings/apps' });
  assert.equal(fixFor('SUSPENDED'), null);
});

const base = {
  sharing: true,
  status: { code: 'waiting', reason: 'Ready: your CPU may work; waiting for tasks from the network.' },
  decision: { at: 1, devices: [{ deviceId: 'cpu', kind: 'cpu', run: true, limits: {}, reasons: [] }] },
  work: { blocker: null, network: { code: 'connected', message: 'Connected' }, tasks: [], notices: [], earned: null },
  wallet: { wallet: { state: 'unlocked' } },
} as unknown as AgentState;

test('one status model: connection first, then the wallet, the network, the policy; tasks in hand are "Working"', opts, () => {
  assert.equal(overall('lost', base).code, 'offline');
  assert.match(overall('bad-token', null).reason, /token was changed/);
  const locked = {
    ...base,
    wallet: { wallet: { state: 'locked' } },
    work: { ...base.work, blocker: 'Unlock your wallet to earn.' },
  } as unknown as AgentState;
  assert.deepEqual(overall('connected', locked).fix, { label: 'Unlock your wallet', href: '#/wallet' });
  const offline = {
    ...base,
    work: { ...base.work, network: { code: 'offline', message: 'Offline, 2 results queued' } },
  } as unknown as AgentState;
  assert.equal(overall('connected', offline).reason, 'Offline, 2 results queued');
  assert.equal(overall('connected', offline).fix?.label, 'Check the network address');
  const busy = {
    ...base,
    work: {
      ...base.work,
      tasks: [
        { id: 'a', state: 'queued' },
        { id: 'b', state: 'running' },
      ],
    },
  } as unknown as AgentState;
  assert.deepEqual(overall('connected', busy), { code: 'working', reason: 'Working: 2 tasks in hand.', fix: null });
  assert.equal(overall('connected', base).code, 'waiting');
  const blocked = {
    ...base,
    status: { code: 'waiting', reason: 'Waiting: no idle time' },
    decision: {
      at: 1,
      devices: [
        { deviceId: 'cpu', kind: 'cpu', run: false, limits: {}, reasons: [{ code: 'IDLE_UNKNOWN', message: 'x', blocking: true }] },
      ],
    },
  } as unknown as AgentState;
  assert.equal(overall('connected', blocked).fix?.label, 'Share without waiting for idle time');
});

test('replies and events are parsed with the contract: wrong shapes become words, errors keep their code', opts, () => {
  const error = parseReply('getSettings', { ok: false, error: { code: 'UNAUTHORIZED', message: 'no' } });
  assert.deepEqual(error, { ok: false, error: { code: 'UNAUTHORIZED', message: 'no' } });
  const junk = parseReply('getSettings', { ok: true, value: { cpuSharePercent: 'lots' } });
  assert.ok(!junk.ok && junk.error.code === 'INTERNAL' && !/expected|zod/i.test(junk.error.message));
  assert.equal(parseReply('getActivity', { ok: true, value: [] }).ok, true);
  assert.equal(parseEvent({ type: 'activity', entry: { at: 1, kind: 'share', message: 'Sharing turned on' } })?.type, 'activity');
  assert.equal(parseEvent({ type: 'state', state: { sharing: 'yes' } }), null);
});

test("a GPU's use: ours beside the user's programs (the driver's figure less ours), unknown where nobody can tell", opts, () => {
  const gpu = { id: 'GPU-1', name: 'RTX 4070', tempC: 60, vramTotalMiB: 12288 };
  assert.deepEqual(gpuSplit({ ...gpu, utilizationPercent: 80, ourUtilizationPercent: 50 }), { ours: 50, other: 30 });
  assert.deepEqual(
    gpuSplit({ ...gpu, utilizationPercent: 40, ourUtilizationPercent: 55 }),
    { ours: 55, other: 0 },
    'samples a little apart',
  );
  assert.deepEqual(gpuSplit({ ...gpu, utilizationPercent: 20, ourUtilizationPercent: null }), { ours: null, other: 20 });
  assert.deepEqual(gpuSplit({ ...gpu, utilizationPercent: null, ourUtilizationPercent: 10 }), { ours: 10, other: null });
});
