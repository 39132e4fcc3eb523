import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  newStanding,
  promisedMs,
  recordOnline,
  recordOutcome,
  reputation,
  uptimeBp,
  UPTIME_WINDOW_MS,
} from '../../main/devnet/standing.js';

const T0 = Date.UTC(2026, 11, 1, 0, 0);
const DAY = 86_400_000;
const always = { always: true, hours: null, idleOnly: false, chargingOnly: false, minBattery: null };

test(
  'reputation grows slowly with days of verified work, not with task counts, and a rejection costs 10 points for 30 days',
  { timeout: 120_000 },
  () => {
    let s = newStanding();
    assert.equal(reputation(s, T0), 50, 'a new device earns exactly 1x');
    for (let i = 0; i < 10_000; i++) s = recordOutcome(s, true, T0 + i);
    assert.equal(reputation(s, T0), 51, 'ten thousand results on one day are one good day');
    for (let d = 1; d < 30; d++) s = recordOutcome(s, true, T0 + d * DAY);
    assert.equal(reputation(s, T0 + 30 * DAY), 75, 'a month of good days: halfway to 100');
    s = recordOutcome(s, false, T0 + 30 * DAY);
    assert.equal(reputation(s, T0 + 30 * DAY), 65);
    assert.equal(reputation(s, T0 + 60 * DAY), 75, 'forgiven after 30 days');
    for (let d = 31; d < 400; d++) s = recordOutcome(s, true, T0 + d * DAY);
    assert.ok(
      reputation(s, T0 + 400 * DAY) < 100 && reputation(s, T0 + 400 * DAY) >= 95,
      'a year of work comes close to 100, never at once',
    );
    let bad = newStanding();
    for (let i = 0; i < 8; i++) bad = recordOutcome(bad, false, T0 + i);
    assert.equal(reputation(bad, T0), 0, 'never below 0');
  },
);

test('uptime is online time over the trailing week against what the device promised', { timeout: 120_000 }, () => {
  let s = newStanding();
  assert.equal(uptimeBp(s, always, T0), 0, 'a new device starts at 0, not 100 %');
  for (let h = 0; h < 24; h++) s = recordOnline(s, 3_600_000, T0 + h * 3_600_000);
  assert.equal(
    uptimeBp(s, always, T0 + DAY - 1),
    Math.floor((24 * 3_600_000 * 10_000) / UPTIME_WINDOW_MS),
    'one day online of a promised week',
  );
  const office = { ...always, always: false, hours: [[0, 24]] as [number, number][] };
  assert.equal(promisedMs(office, T0 + DAY), UPTIME_WINDOW_MS);
  const nights = { ...always, always: false, hours: [[0, 8]] as [number, number][] };
  assert.equal(promisedMs(nights, T0 + 7 * DAY), 7 * 8 * 3_600_000, 'eight promised hours a day');
  let n = newStanding();
  for (let d = 0; d < 7; d++) for (let h = 0; h < 8; h++) n = recordOnline(n, 3_600_000, T0 + d * DAY + h * 3_600_000);
  assert.equal(uptimeBp(n, nights, T0 + 7 * DAY), 10_000, 'keeping an eight-hour promise is full uptime');
  assert.equal(uptimeBp(n, nights, T0 + 14 * DAY), 0, 'hours that left the window no longer count');
  assert.equal(Object.keys(recordOnline(n, 1, T0 + 30 * DAY).onlineByHour).length, 1, 'old hours are forgotten');
});
