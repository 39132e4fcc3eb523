// The Earnings page's pure parts (issue 28 item 2): the hash route that keeps the chart's range, the page for an
// address that names none, and the words under and over each bar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axisLabels, barsOf } from '../../renderer/src/lib/earnings-bars.js';
import { hrefOf, routeOf } from '../../renderer/src/lib/route.js';

const T = { timeout: 10_000 };

test('routes: the range is kept in the address beside the page and its section; unknown pages are not found', T, () => {
  const week = routeOf('#/earnings?range=week');
  assert.equal(week.view, 'earnings');
  assert.equal(week.section, null);
  assert.equal(week.params.get('range'), 'week');
  const receipt = routeOf('#/earnings/receipt-r-7?range=day');
  assert.deepEqual([receipt.view, receipt.section, receipt.params.get('range')], ['earnings', 'receipt-r-7', 'day']);
  assert.deepEqual([routeOf('#/settings/power').view, routeOf('#/settings/power').section], ['settings', 'power']);
  assert.equal(routeOf('#/nonsense').view, 'not-found');
  assert.equal(routeOf('#/earnings-old/receipt-1').view, 'not-found');
  for (const home of ['', '#', '#/', '#token=abc123']) assert.equal(routeOf(home).view, 'dashboard', home);
  assert.equal(hrefOf('earnings', { range: 'month' }), '#/earnings?range=month');
  assert.equal(hrefOf('wallet'), '#/wallet');
  assert.equal(routeOf(hrefOf('earnings', { range: 'all' })).params.get('range'), 'all');
});

const bar = (start: number, confirmedWei = '0', pendingWei = '0') => ({ start, confirmedWei, pendingWei, receipts: 0 });

test('bars: labels and tooltips name each bar in its own step, amounts stay exact wei', T, () => {
  const at = new Date(2026, 11, 7, 14, 5).getTime();
  const fine = barsOf({ step: '5m', bars: [bar(at, '123456789012345678901', '7'), bar(at + 300_000)] }, 'en-GB');
  assert.deepEqual(
    fine.map((b) => [b.label, b.title]),
    [
      ['14:05', '7 Dec, 14:05–14:10'],
      ['14:10', '7 Dec, 14:10–14:15'],
    ],
  );
  assert.equal(fine[0]!.confirmed, 123_456_789_012_345_678_901n);
  assert.equal(fine[0]!.pending, 7n);
  assert.equal(barsOf({ step: 'minute', bars: [bar(at)] }, 'en-GB')[0]!.title, '7 Dec, 14:05–14:06');
  const hour = barsOf({ step: 'hour', bars: [bar(new Date(2026, 11, 7, 23).getTime())] }, 'en-GB');
  assert.equal(hour[0]!.title, '7 Dec, 23:00–00:00');
  const week = Array.from({ length: 7 }, (_, i) => bar(new Date(2026, 11, 1 + i).getTime()));
  assert.deepEqual(
    barsOf({ step: 'day', bars: week }, 'en-GB').map((b) => b.label),
    ['Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Mon'],
  );
  const month = Array.from({ length: 30 }, (_, i) => bar(new Date(2026, 10, 8 + i).getTime()));
  assert.equal(barsOf({ step: 'day', bars: month }, 'en-GB').at(-1)!.label, '7 Dec');
  const months = [bar(new Date(2026, 10, 1).getTime()), bar(new Date(2026, 11, 1).getTime())];
  assert.deepEqual(
    barsOf({ step: 'month', bars: months }, 'en-GB').map((b) => [b.label, b.title]),
    [
      ['Nov', 'November 2026'],
      ['Dec', 'December 2026'],
    ],
  );
  const years = [bar(new Date(2026, 11, 1).getTime()), bar(new Date(2027, 0, 1).getTime())];
  assert.deepEqual(
    barsOf({ step: 'month', bars: years }, 'en-GB').map((b) => b.label),
    ['Dec 26', 'Jan 27'],
  );
});

test('axis labels: inside the chart, apart, the newest always shown, on every kind of chart', T, () => {
  const [LEFT, W, CHAR, GAP] = [88, 600, 6.8, 10];
  const days = Array.from({ length: 30 }, (_, i) =>
    new Date(2026, 10, 8 + i).toLocaleDateString('en-GB', { day: 'numeric', month: 'short' }),
  );
  const cases = {
    month: days,
    week: ['Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Mon'],
    day: Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00 PM`),
    minutes: Array.from({ length: 60 }, (_, m) => `10:${String(m).padStart(2, '0')} AM`),
    months: Array.from({ length: 30 }, (_, m) => `${['Jan', 'Feb', 'Mar'][m % 3]!} ${20 + Math.floor(m / 12)}`),
    one: ['7 Dec'],
  };
  for (const [name, labels] of Object.entries(cases)) {
    const shown = axisLabels(labels, LEFT, W, CHAR, GAP);
    const edges = shown.map(({ index, x }) => [x - (labels[index]!.length * CHAR) / 2, x + (labels[index]!.length * CHAR) / 2] as const);
    assert.equal(shown.at(-1)!.index, labels.length - 1, `${name}: the newest bar is named`);
    assert.ok(shown.length >= Math.min(labels.length, 3), `${name}: ${shown.length} labels`);
    for (const [i, [from, to]] of edges.entries()) {
      assert.ok(from >= LEFT && to <= W, `${name}: label ${i} inside (${from}–${to})`);
      if (i > 0) assert.ok(from >= edges[i - 1]![1] + GAP, `${name}: label ${i} apart from the one before`);
    }
  }
  assert.equal(
    axisLabels(days, LEFT, W, CHAR, GAP).at(-1)!.x + (days.at(-1)!.length * CHAR) / 2 <= W,
    true,
    "the month's last label whole",
  );
});
