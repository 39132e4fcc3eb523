// The earnings chart adds up to the totals beside it (issue 28 item 2) through a long history and every way a start
// reads it back: a real ledger earns in bursts over months, stopped after each burst with its index written, without
// (a kill), or with the index gone (a recount); after each start, the bars of every range the page offers must come
// to the totals of the same answer, to the wei, confirmed and pending apart.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { EarningsQuery, EarningsSummary } from '../../main/common/network.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { tempDir } from '../helpers/fakes.js';
import { signedEpoch, testReceipt } from '../helpers/ledger.js';
import { clean, type SoakCase } from './case.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The page's ranges at `now`, in UTC (the ledger's days are cut at offset 0 here). */
function ranges(now: number): EarningsQuery[] {
  const midnight = Math.floor(now / DAY) * DAY;
  return [
    { fromMs: Math.floor(now / HOUR) * HOUR - 23 * HOUR, toMs: now },
    { fromMs: midnight - 6 * DAY, toMs: now },
    { fromMs: midnight - 29 * DAY, toMs: now },
    { toMs: now },
  ];
}

const addsUp = (s: EarningsSummary): boolean =>
  s.series.bars.reduce((n, b) => n + BigInt(b.confirmedWei), 0n) === BigInt(s.total.confirmedWei) &&
  s.series.bars.reduce((n, b) => n + BigInt(b.pendingWei), 0n) === BigInt(s.total.pendingWei) &&
  s.series.bars.reduce((n, b) => n + b.receipts, 0) === s.total.receipts;

export const CHART_CASES: SoakCase[] = [
  {
    name: 'earnings chart adds up to its totals across months of bursts and restarts (index, kill, recount)',
    fast: true,
    async run(size) {
      const coordinator = Wallet.createRandom();
      const owner = Wallet.createRandom().address;
      const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
      const file = join(await tempDir('synor-soak-chart-'), 'ledger.jsonl');
      const bursts = size === 'fast' ? 12 : 60;
      const start = Date.UTC(2026, 6, 1, 8, 3);
      let at = start;
      let ledger = await Ledger.open(file);
      await ledger.verify(() => null, at);
      let checks = 0;
      let wrong = 0;
      for (let burst = 0; burst < bursts; burst++) {
        // A burst of work every few days to a few hours, each epoch a minute or so apart, two results left pending.
        at += (burst % 3 === 0 ? 7 * DAY : 5 * HOUR) + burst * 13 * MINUTE;
        for (let i = 0; i < 8; i++, at += 67_000) {
          const r = testReceipt(owner, { issuedAt: at, units: String(999_999_937 * (burst + i + 1)) });
          await ledger.appendEpoch(at + 1, source, await signedEpoch([r], coordinator));
        }
        for (let i = 0; i < 2; i++)
          await ledger.submitted({ at: at + i, source, taskId: `p-${burst}-${i}`, deviceId: 'dev-a', estimateWei: 31_415_926_535n });
        const restart = burst % 3;
        if (restart === 0) await ledger.saveCheckpoint();
        if (restart === 2) await rm(`${file}.index`, { force: true });
        ledger = await Ledger.open(file);
        await ledger.verify(() => null, at);
        for (const q of ranges(at + MINUTE)) {
          checks++;
          if (!addsUp(ledger.sums.summary(q))) wrong++;
        }
      }
      return {
        ...clean,
        ok: wrong === 0,
        outcome: `${bursts} bursts over ${Math.round((at - start) / DAY)} days, each followed by a start (index, kill or recount): ${checks - wrong}/${checks} charts add up to their totals`,
      };
    },
  },
];
