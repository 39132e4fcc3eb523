// The fleet's alert rules with a fake clock (no processes): a member offline past the user's limit, sharing without
// earning, too hot; each told once per episode and "back" when it ends. Plus the watcher that asks once a minute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetStatus, MemberReport, MemberView } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import type { Tell } from '../../main/common/state.js';
import { duration, fleetAlerts, type FleetAlertMemory } from '../../main/core/fleet/alerts.js';
import type { Fleet } from '../../main/core/fleet/fleet.js';
import { WATCH_EVERY_MS, watchFleet } from '../../main/core/fleet/watch.js';
import { FakeClock, MemoryLogger } from '../helpers/fakes.js';

const T = { timeout: 60_000 };
const MIN = 60_000;
const LIMITS = DEFAULT_SETTINGS.fleetAlerts; // 30 min offline, 60 min not earning, 90 °C
const ID = 'A'.repeat(43);

const report = (o: Partial<MemberReport> & { wei?: string } = {}): MemberReport => ({
  name: 'rig-1',
  version: '1.0.0',
  sharing: true,
  status: { code: 'working', reason: 'Working on a task.' },
  devices: [],
  perHourWei: null,
  today: null,
  total: { key: 'total', confirmedWei: o.wei ?? String(5n * 10n ** 17n), pendingWei: '0', receipts: 1, pendingTasks: 0 },
  temperatureC: 60,
  ...o,
});

const member = (state: MemberView['state'], r: MemberReport | null = report()): MemberView => ({
  id: ID,
  name: 'rig-1',
  role: 'member',
  address: '10.0.0.2:7434',
  state,
  reason: state === 'online' ? 'Working on a task.' : 'The machine at 10.0.0.2:7434 did not answer.',
  pairedAt: 0,
  lastSeen: null,
  report: state === 'online' ? r : null,
});

/** Feeds views one by one at the given minutes, returning every tell's key with the minute it came. */
function run(steps: [minute: number, peer: MemberView, enabled?: boolean][]): { at: number; tell: Tell }[] {
  let memory: FleetAlertMemory = new Map();
  const said: { at: number; tell: Tell }[] = [];
  for (const [minute, peer, enabled] of steps) {
    const news = fleetAlerts({ enabled: enabled ?? true, peers: [peer] }, memory, minute * MIN, LIMITS);
    memory = news.memory;
    said.push(...news.tells.map((tell) => ({ at: minute, tell })));
  }
  return said;
}
const keys = (said: { at: number; tell: Tell }[]): string[] => said.map(({ at, tell }) => `${at} ${tell.key.split(':')[1]}`);

test('offline: told once after the limit, not before, and back once when it answers', T, () => {
  const said = run([
    [0, member('online')],
    [1, member('offline')],
    [30, member('offline')], // 29 minutes: under the limit
    [31, member('offline')],
    [40, member('offline')],
    [90, member('offline')],
    [95, member('online')],
    [96, member('online')],
  ]);
  assert.deepEqual(keys(said), ['31 offline', '95 back']);
  assert.match(said[0]!.tell.body, /“rig-1” has not answered for 30 minutes\. The machine at 10\.0\.0\.2:7434 did not answer\./);
  assert.equal(said[1]!.tell.body, '“rig-1” answers again, after 1 hour 34 minutes offline.');
  assert.ok(said.every(({ tell }) => tell.kind === 'fleet'));
});

test('offline: a short outage under the limit is not news, and a second long one is told again', T, () => {
  const said = run([
    [0, member('offline')],
    [20, member('online')],
    [21, member('offline')],
    [50, member('offline')],
    [51, member('offline')],
    [52, member('online')],
  ]);
  assert.deepEqual(keys(said), ['51 offline', '52 back']);
});

test('offline: the user limit is used, and with pairing off here nobody is offline', T, () => {
  let memory: FleetAlertMemory = new Map();
  const step = (minute: number, enabled: boolean): string[] => {
    const news = fleetAlerts({ enabled, peers: [member('offline')] }, memory, minute * MIN, { ...LIMITS, offlineMinutes: 5 });
    memory = news.memory;
    return news.tells.map((t) => t.key);
  };
  assert.deepEqual(step(0, true), []);
  assert.deepEqual(step(5, true), [`fleet:offline:${ID}`]);
  assert.deepEqual(step(6, false), []); // turned off: forgotten, nothing said
  assert.deepEqual(step(7, true), []); // on again: a new episode starts now
  assert.deepEqual(step(12, true), [`fleet:offline:${ID}`]);
});

test('not earning: sharing and working with a total that does not grow, told after the limit; earning again is back', T, () => {
  const said = run([
    [0, member('online', report({ wei: String(10n ** 18n) }))],
    [59, member('online', report({ wei: String(10n ** 18n) }))],
    [60, member('online', report({ wei: String(10n ** 18n) }))],
    [61, member('online', report({ wei: String(10n ** 18n) }))],
    [62, member('online', report({ wei: String(10n ** 18n + 1n) }))],
    [63, member('online', report({ wei: String(10n ** 18n + 1n) }))],
  ]);
  assert.deepEqual(keys(said), ['60 idle', '62 earning']);
  assert.match(said[0]!.tell.body, /sharing for 1 hour without earning anything\. It says: Working on a task\./);
});

test('not earning: a pause or sharing off is not counted, and a report that grows restarts the count', T, () => {
  const paused = report({ status: { code: 'paused', reason: 'Paused: outside your schedule.' } });
  const off = report({ sharing: false, status: { code: 'off', reason: 'Sharing is off.' } });
  const said = run([
    [0, member('online', paused)],
    [100, member('online', paused)],
    [101, member('online', off)],
    [300, member('online', off)],
    [301, member('online')], // counting starts here
    [340, member('online', report({ wei: String(6n * 10n ** 17n) }))], // grew: restart
    [399, member('online', report({ wei: String(6n * 10n ** 17n) }))],
    [400, member('online', report({ wei: String(6n * 10n ** 17n) }))],
  ]);
  assert.deepEqual(keys(said), ['400 idle']);
});

test('too hot: told at the limit once, back only when 5 °C cooler, then told again', T, () => {
  const at = (c: number | null) => member('online', report({ temperatureC: c }));
  const said = run([
    [0, at(80)],
    [1, at(90)],
    [2, at(95)],
    [3, at(86)],
    [4, at(null)], // no reading: nothing changes
    [5, at(85)],
    [6, at(91)],
  ]);
  assert.deepEqual(keys(said), ['1 hot', '5 cool', '6 hot']);
  assert.match(said[0]!.tell.body, /“rig-1” is at 90 °C, over the 90 °C you set for fleet alerts\./);
});

test('owners and revoked members are not watched', T, () => {
  const owner = { ...member('offline'), role: 'owner' as const };
  const revoked = { ...member('revoked'), id: 'B'.repeat(43) };
  let memory: FleetAlertMemory = new Map();
  for (const minute of [0, 100, 200]) memory = fleetAlerts({ enabled: true, peers: [owner, revoked] }, memory, minute * MIN, LIMITS).memory;
  assert.equal(memory.size, 0);
});

test('duration in words', T, () => {
  assert.equal(duration(30 * MIN), '30 minutes');
  assert.equal(duration(MIN), '1 minute');
  assert.equal(duration(60 * MIN), '1 hour');
  assert.equal(duration(150 * MIN), '2 hours 30 minutes');
});

test('the watcher asks once a minute with no page open and tells what the rules find; closing stops it', T, async () => {
  const clock = new FakeClock(0);
  let asked = 0;
  let closed = false;
  let answered: () => void = () => {};
  const status = async (): Promise<FleetStatus> => {
    asked++;
    queueMicrotask(answered);
    return {
      enabled: true,
      self: { id: ID, name: 'me', fingerprint: 'x' },
      addresses: [],
      peers: [member('offline')],
      nearby: [],
      broker: null,
    };
  };
  const inner = { status, close: async () => void (closed = true) } as unknown as Fleet;
  const said: Tell[] = [];
  const fleet = watchFleet(inner, {
    clock,
    logger: new MemoryLogger(),
    limits: () => ({ ...LIMITS, offlineMinutes: 2 }),
    say: (t) => said.push(t),
  });
  const minute = async (): Promise<void> => {
    const done = new Promise<void>((resolve) => (answered = resolve));
    clock.advance(WATCH_EVERY_MS);
    await done;
    await new Promise<void>((resolve) => setImmediate(resolve)); // its next timer is set once the answer is handled
  };
  for (let i = 0; i < 4; i++) await minute();
  assert.equal(asked, 4);
  assert.deepEqual(
    said.map((t) => t.key),
    [`fleet:offline:${ID}`],
  );
  await fleet.status(); // the page's own view goes through the same rules: nothing new to tell
  assert.equal(said.length, 1);
  await fleet.close();
  assert.ok(closed);
  clock.advance(10 * WATCH_EVERY_MS);
  assert.equal(asked, 5);
});
