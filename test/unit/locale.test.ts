// The page's locale (issue 28 item 9): figures, amounts and dates through Intl in the user's locale, amounts exact to
// the money rule's digits, and the pseudo-locale that marks every catalogue sentence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAmount, localizeDecimal } from '../../main/common/money.js';
import { pseudoCatalogue, pseudoText } from '../../renderer/src/i18n/pseudo.js';
import {
  chooseLocale,
  formatDateTime,
  formatDay,
  formatFixed,
  formatNumber,
  formatPercent,
  formatUsd,
  formatWei,
  formatWeiExact,
} from '../../renderer/src/lib/locale.js';

const T = { timeout: 10_000 };

test('the locale: ?lang= in the address first, then the browser’s languages, a bad tag skipped', T, () => {
  assert.equal(chooseLocale('?lang=en-XA', ['de-DE']), 'en-XA');
  assert.equal(chooseLocale('', ['de-DE', 'en-US']), 'de-DE');
  assert.equal(chooseLocale('?lang=not_a tag', ['fr-FR']), 'fr-FR');
  assert.equal(chooseLocale('', []), 'en-US');
});

test('amounts keep the money rule’s digits, in the locale’s separators, never through a float', T, () => {
  const wei = 1_234_567_890_123_456_789_012n; // 1234.567890123456789012 SYNOR
  assert.equal(formatWei(wei, 18, 'de-DE'), '1.234,57');
  assert.equal(formatWei(wei, 18, 'en-US'), '1,234.57');
  assert.equal(formatWei(wei, 18, 'fr-FR'), '1\u202f234,57');
  assert.equal(formatWei(1_280_789_051_589n, 18, 'de-DE'), '0,00000128079');
  assert.equal(formatWei(-1_280_789_051_589n, 18, 'de-DE'), '-0,00000128079', 'a zero whole part keeps its sign');
  assert.equal(formatWei(123_456_789n * 10n ** 18n, 18, 'en-IN'), '12,34,57,000', 'the locale’s own grouping');
  // Past a float's 15-16 digits every wei is still there.
  assert.equal(formatWeiExact(wei, 18, 'de-DE'), '1.234,567890123456789012');
  assert.equal(formatWeiExact(7n, 18, 'en-US'), '0.000000000000000007');
  // Another script's digits, digit by digit.
  assert.equal(localizeDecimal(formatAmount(1_500_000_000_000_000n), new Intl.NumberFormat('ar-EG')), '٠٫٠٠١٥');
});

test('figures, percentages, dollars and dates follow the locale', T, () => {
  assert.equal(formatNumber(1234.5, undefined, 'de-DE'), '1.234,5');
  assert.equal(formatFixed(2.25, 1, 'de-DE'), '2,3');
  assert.equal(formatPercent(42, 0, 'de-DE'), '42\u00a0%');
  assert.equal(formatPercent(42, 0, 'en-US'), '42%');
  assert.equal(formatUsd(7, 'en-US'), '$7.00');
  assert.equal(formatUsd(0.0000035, 'en-US'), '$0.0000035');
  assert.equal(formatUsd(7, 'de-DE'), '7,00\u00a0$');
  const at = new Date(2026, 11, 7, 14, 5).getTime();
  assert.equal(formatDateTime(at, { day: 'numeric', month: 'long', year: 'numeric' }, 'de-DE'), '7. Dezember 2026');
  assert.equal(formatDateTime(at, { hour: '2-digit', minute: '2-digit' }, 'de-DE'), '14:05');
  assert.equal(formatDay('2026-12-07', 'de-DE'), '07.12.2026', 'a day kept as text, on its own calendar day');
  assert.equal(formatDay('2026-12-07', 'en-US'), 'Dec 7, 2026');
  assert.equal(formatNumber(1234.5, undefined, 'en-XA'), '1,234.5', 'the pseudo-locale’s figures are English');
});

test('the pseudo-locale marks and lengthens every sentence, functions’ results too, but not the values they were given', T, () => {
  assert.equal(pseudoText('Dashboard'), '[Ðååšĥƀööååŕð]');
  const catalogue = {
    title: 'Devices',
    days: ['Sun', 'Mon'],
    nested: { use: (name: string, n: number) => `Use ${name} for ${n} hours` },
  };
  const marked = pseudoCatalogue(catalogue);
  assert.equal(marked.title, '[Ðééṽîîçééš]');
  assert.deepEqual(marked.days, ['[Šûûñ]', '[Ṁööñ]']);
  assert.equal(marked.nested.use('GeForce RTX 4090', 3), '[ÛÛšéé GeForce RTX 4090 ƒööŕ 3 ĥööûûŕš]');
  assert.equal(catalogue.title, 'Devices', 'the English catalogue is left as it is');
  // A sentence inside another keeps its own brackets.
  assert.equal(pseudoCatalogue({ active: (name: string) => `${name} · active` }).active(marked.title), '[[Ðééṽîîçééš] · ååçţîîṽéé]');
});
