// Damaged state never costs money or work (issue 26 items 2 and 3): client.json damaged every way a file can be, with
// a result waiting each time; and the ledger's index forged with its checksum recomputed.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import type { NetworkService } from '../../main/core/network/service.js';
import { tempDir } from '../helpers/fakes.js';
import { forgeIndex, ledgerWei, signedEpoch, testReceipt } from '../helpers/ledger.js';
import { contributing } from '../integration/support/contribute.js';
import { cpuService, nextEvent, queueResult, runWithOrt, switchableProxy } from '../integration/support/network.js';
import { clean, withDevnet, type SoakCase } from './case.js';

const confirmedWei = (service: NetworkService): bigint => BigInt(service.book.earnings()!.total.confirmedWei);

export const STATE_CASES: SoakCase[] = [
  {
    name: 'damaged client state (garbage, wrong schema, empty, missing), a result waiting each time',
    fast: false,
    run: () =>
      withDevnet({ taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 }, async (net) => {
        const proxy = await switchableProxy(net.url);
        const dataDir = await tempDir('synor-soak-state-');
        const signer = Wallet.createRandom();
        const start = () => cpuService(dataDir, proxy.url, signer);
        const file = join(dataDir, 'network', 'client.json');
        const damages: [string, () => Promise<void>][] = [
          ['garbage', () => writeFile(file, '\u0000\u0001 not json')],
          ['wrong schema', () => writeFile(file, JSON.stringify({ deviceId: 42, coordinators: [] }))],
          ['empty', () => writeFile(file, '')],
          ['missing', () => rm(file)],
        ];
        let service = await start();
        try {
          const earned = nextEvent(service.client, 'epoch');
          const stop = contributing(service.client, (task) => runWithOrt(task));
          await earned;
          await stop();
          const deviceId = service.client.deviceId;
          let sameDevice = 0;
          let setAside = 0;
          let taken = 0;
          let shrunk = 0;
          for (const [, damage] of damages) {
            const taskId = await queueResult(service.client, proxy);
            const before = confirmedWei(service);
            await service.close();
            await damage();
            proxy.up = true;
            service = await start();
            const sent = nextEvent(service.client, 'submitted', (e) => e.taskId === taskId);
            if (service.client.deviceId === deviceId) sameDevice++;
            setAside += service.ledger.report.setAside?.count ?? 0;
            if (confirmedWei(service) < before) shrunk++;
            if ((await sent).status === 'accepted') taken++;
          }
          const n = damages.length;
          return {
            ...clean,
            lost: n - taken,
            ok: sameDevice === n && setAside === 0 && taken === n && shrunk === 0,
            outcome: `${damages.map(([name]) => name).join(', ')}: same device ${sameDevice}/${n}, signed epochs set aside ${setAside}, totals that shrank ${shrunk}, waiting results taken ${taken}/${n}`,
          };
        } finally {
          await service.close();
          await proxy.close();
        }
      }),
  },
  {
    name: 'ledger index forged (+1 SYNOR, checksum recomputed)',
    fast: true,
    async run() {
      const coordinator = Wallet.createRandom();
      const owner = Wallet.createRandom().address;
      const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
      const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
      const file = join(await tempDir('synor-soak-index-'), 'ledger.jsonl');
      const ledger = await Ledger.open(file);
      await ledger.verify(trust, 0);
      const t0 = Date.UTC(2026, 10, 24);
      for (let i = 0; i < 50; i++) {
        const bundle = await signedEpoch([testReceipt(owner, { issuedAt: t0 + i * 60_000 })], coordinator);
        await ledger.appendEpoch(bundle.epoch.issuedAt, source, bundle);
      }
      await ledger.saveCheckpoint();
      const truth = await ledgerWei(file);
      await forgeIndex(file, 10n ** 18n);
      const forged = await Ledger.open(file);
      await forged.verify(trust, 1);
      const shownAtStart = BigInt(forged.sums.total().confirmedWei);
      const rebuilt = await forged.auditIndex(2);
      const shownAfter = BigInt(forged.sums.total().confirmedWei);
      return {
        ...clean,
        ok: rebuilt && shownAfter === truth,
        outcome: `50 signed epochs; at start ${shownAtStart === truth ? 'the true total' : 'the forged total'} from the index, then the recount ${rebuilt ? 'caught it and rebuilt the index' : 'did not catch it'}; shown after: ${shownAfter === truth ? 'the signed total' : `${shownAfter - truth} wei too much`}`,
      };
    },
  },
];
