// Earnings queries read running sums (issue 32 item 5): at months to a year of work, with epochs arriving late as well as
// in order, minutes merged into quarter hours and the totals read back as a start reads its index, every figure of the
// summary (total, days, devices, resources, networks, rejected, each bar and where it starts) still equals a plain walk
// over the slots, to the wei.
import { isDeepStrictEqual } from 'node:util';
import { LedgerTotals, TotalsJsonSchema } from '../../main/core/ledger/totals.js';
import { fillTotals, random, summaryBesideWalk } from '../helpers/slot-walk.js';
import { clean, type SoakCase } from './case.js';

const DAY = 86_400_000;

export const LEDGER_QUERY_CASES: SoakCase[] = [
  {
    name: 'ledger queries at a year of work: every figure equals a walk over the slots, live, merged and read back',
    fast: true,
    async run(size) {
      const days = size === 'fast' ? 45 : 365;
      const start = Date.UTC(2025, 11, 1);
      const rnd = random(days);
      let totals = new LedgerTotals();
      let end = start;
      let asked = 0;
      let wrong = 0;
      const check = (): void => {
        for (const { summary, walk } of summaryBesideWalk(totals, rnd, start, end)) {
          asked++;
          if (!isDeepStrictEqual(summary, walk)) wrong++;
        }
      };
      // About a month at a time (1,500 epochs a few minutes apart, a third after a pause of up to 3 hours), then a
      // check, a merge of the minutes and a read-back of the index form, as a checkpoint and a start do.
      while (end - start < days * DAY) {
        end = fillTotals(totals, rnd, 1_500, end, 3 * 3_600_000);
        check();
        totals.compact();
        totals = LedgerTotals.fromJSON(TotalsJsonSchema.parse(JSON.parse(JSON.stringify(totals.toJSON()))));
        check();
      }
      const covered = Math.round((end - start) / DAY);
      return {
        ...clean,
        ok: wrong === 0,
        outcome: `${covered} days of epochs: ${asked - wrong}/${asked} summaries equal the walk`,
      };
    },
  },
];
