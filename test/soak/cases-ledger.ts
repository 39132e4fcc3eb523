// The ledger's first check of a long history, batched off the main thread (issue 32 item 5): bad lines spread
// through good ones are set aside exactly, the good ones counted once, whatever batch they fall in; the next start
// takes the index and counts the same.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { eip712Domain, EPOCH_TYPES } from '../../main/common/protocol.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import type { LedgerRecord } from '../../main/core/ledger/record.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { tempDir } from '../helpers/fakes.js';
import { testReceipt } from '../helpers/ledger.js';
import { clean, type SoakCase } from './case.js';

export const LEDGER_CASES: SoakCase[] = [
  {
    name: 'ledger first check of a long history: bad lines among good ones set aside exactly, batch by batch',
    fast: true,
    async run(size) {
      const coordinator = Wallet.createRandom();
      const stranger = Wallet.createRandom();
      const owner = Wallet.createRandom().address;
      const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
      const n = size === 'fast' ? 600 : 2_000;
      const t0 = Date.UTC(2026, 10, 24);
      const lines: string[] = [];
      let bad = 0;
      let goodWei = 0n;
      for (let i = 0; i < n; i++) {
        const epoch = epochOf([testReceipt(owner, { issuedAt: t0 + i * 60_000 })], t0 + i * 60_000 + 1);
        // Every 37th line signed by someone else, every 53rd for another device, every 71st edited after signing.
        const kind = i % 37 === 5 ? 'stranger' : i % 53 === 7 ? 'device' : i % 71 === 9 ? 'edited' : 'good';
        const signedEpoch = kind === 'device' ? { ...epoch, deviceId: 'dev-b' } : epoch;
        const by = kind === 'stranger' ? stranger : coordinator;
        const signature = await by.signTypedData(eip712Domain(31337), EPOCH_TYPES, signedEpoch);
        const written = kind === 'edited' ? { ...signedEpoch, totalWei: String(BigInt(epoch.totalWei) + 1n) } : signedEpoch;
        const record: LedgerRecord = { kind: 'epoch', at: epoch.closedAt, source, signed: { epoch: written, signature } };
        lines.push(encodeRecord(record));
        if (kind === 'good') goodWei += BigInt(epoch.totalWei);
        else bad++;
      }
      const file = join(await tempDir('synor-soak-ledger-'), 'ledger.jsonl');
      await writeFile(file, lines.join(''));
      const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
      const ledger = await Ledger.open(file);
      const setAside = await ledger.verify(trust, 1);
      await ledger.saveCheckpoint();
      const shown = BigInt(ledger.sums.total().confirmedWei);
      const again = await Ledger.open(file);
      const second = await again.verify(trust, 2);
      const shownAgain = BigInt(again.sums.total().confirmedWei);
      const ok = setAside?.count === bad && shown === goodWei && second === null && shownAgain === goodWei;
      return {
        ...clean,
        ok,
        outcome: `${n} lines, ${bad} bad: ${setAside?.count ?? 0} set aside; total ${shown === goodWei ? 'the good lines’ sum' : `${shown - goodWei} wei off`}; next start from the index: ${second === null && shownAgain === goodWei ? 'the same, nothing set aside' : 'different'}`,
      };
    },
  },
];
