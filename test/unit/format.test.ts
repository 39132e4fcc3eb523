import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAmount, parseAmount } from '../../main/common/money.js';
import { amountsIn, exactSynor, formatUnits, usdOf } from '../../renderer/src/lib/format.js';

test('one rule for every amount: 6 significant digits, rounded, trailing zeros dropped', { timeout: 10_000 }, () => {
  // The Activity log's amount from the audit, 18 decimals as the ledger sums it.
  assert.equal(formatUnits('1280789051589'), '0.00000128079', 'rounded up at the 7th digit');
  assert.equal(formatUnits(1_280_784_051_589n), '0.00000128078', 'rounded down');
  assert.equal(formatUnits(999_999_500_000_000_000n), '1', 'a carry into the next digit');
  assert.equal(formatUnits(1_500_000_000_000_000n), '0.0015');
  assert.equal(
    formatUnits(123_456_789n * 10n ** 18n),
    '123,457,000',
    'large amounts keep their size, grouped (en-US where no language is named)',
  );
  assert.equal(formatUnits(0n), '0');
  assert.equal(formatUnits(7n), '0.000000000000000007', 'fewer than 6 digits: every one');
  assert.equal(formatUnits(-1_280_789_051_589n), '-0.00000128079', 'a negative bonus rounds the same way');
  // The page and the agent's own sentences (notifications, the activity log) show wei by the same function.
  assert.equal(formatAmount(1_280_789_051_589n), formatUnits('1280789051589'));
  assert.equal(exactSynor(1_280_789_051_589n), '0.000001280789051589 SYNOR', 'every wei on hover');
  assert.equal(exactSynor(-5n), '-0.000000000000000005 SYNOR');
  assert.equal(exactSynor(3n * 10n ** 18n), '3 SYNOR');
});

test('SYNOR a person types (or an old log line holds) and wei convert exactly both ways', { timeout: 10_000 }, () => {
  assert.equal(parseAmount('0.000001280789051589'), 1_280_789_051_589n);
  assert.equal(parseAmount('-0.5'), -500_000_000_000_000_000n);
  assert.equal(parseAmount('3'), 3n * 10n ** 18n);
  assert.equal(exactSynor(parseAmount('12.000000000000000001')), '12.000000000000000001 SYNOR');
});

test('dollars only at the user’s price, from wei', { timeout: 10_000 }, () => {
  assert.equal(usdOf(2n * 10n ** 18n, 3.5), '$7.00');
  assert.equal(usdOf(1_000_000_000_000n, 3.5), '$0.0000035');
});

test('sentences the agent wrote show their amounts by the same rule, old activity entries too', { timeout: 10_000 }, () => {
  assert.equal(
    amountsIn('0.000001280789051589 SYNOR can be claimed to your wallet.'),
    '0.00000128079 SYNOR can be claimed to your wallet.',
  );
  assert.equal(amountsIn('Earned today: 1.23456789 test SYNOR'), 'Earned today: 1.23457 test SYNOR');
  assert.equal(amountsIn('Paused: your programs use 93.5 % CPU.'), 'Paused: your programs use 93.5 % CPU.', 'other numbers stay');
});
