// What a member tells its owner about its earnings: today's figures and its days, asked of the ledger's summary for
// the network in use, from local midnight FLEET_REPORT_DAYS - 1 days ago, cut at local midnight; the reply fits its
// schema and the frame cap with every day filled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLEET_MAX_FRAME_BYTES, FLEET_REPORT_DAYS, ReplySchema } from '../../main/common/fleet.js';
import type { EarningsQuery, EarningsSummary } from '../../main/common/network.js';
import { memberReport } from '../../main/core/fleet/report.js';
import { testAgent } from '../helpers/agent.js';

const T = { timeout: 60_000 };

test('a member reports its last days of earnings, from the summary cut at local midnight', T, async () => {
  const { agent } = await testAgent();
  const state = agent.state();
  await agent.close();
  const now = new Date(2026, 11, 7, 15, 30).getTime();
  const asked: EarningsQuery[] = [];
  const day = (i: number) => ({
    key: `2026-11-${String(i + 1).padStart(2, '0')}`,
    confirmedWei: '123456789012345678',
    pendingWei: '1',
    receipts: 1234,
    pendingTasks: 12,
  });
  const summary = (byDay: EarningsSummary['byDay']): EarningsSummary => ({
    total: { key: 'total', confirmedWei: String(10n ** 18n), pendingWei: '0', receipts: 1, pendingTasks: 0 },
    series: { step: 'day', bars: [] },
    rejected: 0,
    byDay,
    byDevice: [],
    byResource: [],
    byNetwork: [],
  });
  const report = memberReport({
    state: () => state,
    earnings: (query) => (asked.push(query), summary(Array.from({ length: FLEET_REPORT_DAYS + 3 }, (_, i) => day(i)))),
    estimates: () => null,
    name: 'rig-1',
    now: () => now,
  });
  const monthAgo = new Date(2026, 11, 7 - (FLEET_REPORT_DAYS - 1)).getTime();
  assert.deepEqual(
    asked.map((q) => q.fromMs),
    [new Date(2026, 11, 7).getTime(), monthAgo],
  );
  assert.equal(asked[1]!.utcOffsetMinutes, -new Date(now).getTimezoneOffset());
  // The newest days are kept when the summary gives more.
  assert.equal(report.days?.length, FLEET_REPORT_DAYS);
  assert.equal(report.days?.at(-1)?.key, day(FLEET_REPORT_DAYS + 2).key);
  // A full month, sealed, still fits a frame (base64 adds a third).
  const reply = ReplySchema.parse({ type: 'status', report });
  assert.ok((JSON.stringify(reply).length * 4) / 3 < FLEET_MAX_FRAME_BYTES / 2, `${JSON.stringify(reply).length} bytes`);
});
