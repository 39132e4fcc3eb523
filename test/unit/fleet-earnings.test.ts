// The fleet's combined earnings from members' reported days: per day and per machine add up to the same total to the
// wei, offline and removed machines are left out, and the CSV holds exactly the rows the tables add.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemberReport, MemberView } from '../../main/common/fleet.js';
import { fleetEarnings, fleetEarningsCsv } from '../../renderer/src/lib/fleet-earnings.js';

const T = { timeout: 60_000 };
const bucket = (key: string, confirmed: bigint, pending = 0n) => ({
  key,
  confirmedWei: String(confirmed),
  pendingWei: String(pending),
  receipts: 1,
  pendingTasks: 0,
});
const HALF = 5n * 10n ** 17n;

const peer = (n: number, name: string, days: MemberReport['days'], state: MemberView['state'] = 'online'): MemberView => ({
  id: String(n).repeat(43),
  name,
  role: 'member',
  address: null,
  state,
  reason: '',
  pairedAt: 0,
  lastSeen: null,
  report: {
    name,
    version: '1',
    sharing: true,
    status: { code: 'working', reason: '' },
    devices: [],
    perHourWei: null,
    today: null,
    total: null,
    temperatureC: null,
    ...(days === undefined ? {} : { days }),
  },
});

test('per day and per machine add up to one total, to the wei', T, () => {
  const earnings = fleetEarnings([
    peer(1, 'rig, "one"', [bucket('2026-12-06', 1n, HALF), bucket('2026-12-07', 125n * 10n ** 16n)]),
    peer(2, 'rig-2', [bucket('2026-12-07', 75n * 10n ** 16n, 3n)]),
    peer(3, 'offline', [bucket('2026-12-07', 100n * 10n ** 18n)], 'offline'),
    peer(4, 'old version', undefined),
  ]);
  assert.deepEqual(
    earnings.byDay.map((d) => [d.day, d.confirmed, d.pending]),
    [
      ['2026-12-07', 2n * 10n ** 18n, 3n],
      ['2026-12-06', 1n, 5n * 10n ** 17n],
    ],
  );
  assert.deepEqual(
    earnings.byMachine.map((m) => [m.name, m.confirmed, m.pending]),
    [
      ['rig, "one"', 125n * 10n ** 16n + 1n, 5n * 10n ** 17n],
      ['rig-2', 75n * 10n ** 16n, 3n],
    ],
  );
  const sum = (list: { confirmed: bigint; pending: bigint }[]) => list.reduce((a, b) => a + b.confirmed + b.pending, 0n);
  assert.equal(sum(earnings.byDay), sum(earnings.byMachine));
  assert.equal(sum(earnings.byDay), earnings.total.confirmed + earnings.total.pending);
});

test('the CSV has one row per machine and day, its wei columns add to the totals, and names are quoted', T, () => {
  const earnings = fleetEarnings([
    peer(1, 'rig, "one"', [bucket('2026-12-06', 1n, HALF), bucket('2026-12-07', 125n * 10n ** 16n)]),
    peer(2, 'rig-2', [bucket('2026-12-07', 75n * 10n ** 16n)]),
  ]);
  const lines = fleetEarningsCsv(earnings).trimEnd().split('\n');
  assert.equal(lines[0], 'date,machine,machine_id,confirmed_synor,pending_synor,confirmed_wei,pending_wei');
  assert.equal(lines[1], `2026-12-06,"rig, ""one""",${'1'.repeat(43)},0.000000000000000001,0.5,1,500000000000000000`);
  assert.equal(lines.length, 4);
  const wei = lines.slice(1).map((line) => line.split(',').slice(-2).map(BigInt));
  assert.equal(
    wei.reduce((a, [c]) => a + c!, 0n),
    earnings.total.confirmed,
  );
  assert.equal(
    wei.reduce((a, [, p]) => a + p!, 0n),
    earnings.total.pending,
  );
});
