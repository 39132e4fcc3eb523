// Cases for issue 27 (docs/protocol.md, "Verification", "Bandwidth"): a cheating raw client beside an honest one on
// the real devnet with its verification policy on, and a model downloaded again and again through one lease.
import type { Receipt } from '../../main/common/protocol.js';
import type { Task } from '../../main/common/task.js';
import type { Coordinator } from '../../main/devnet/coordinator.js';
import { post, receiptsOf, registerNew, submit, zeros } from '../helpers/devnet-raw.js';
import { runWithOrt } from '../integration/support/network.js';
import { clean, doubles, withDevnet, type SoakCase } from './case.js';

const wei = (receipts: readonly Receipt[]): bigint => receipts.reduce((sum, r) => sum + BigInt(r.totalWei), 0n);

type Lease = { kind: 'task'; leaseId: string; task: Task } | { kind: 'none'; message: string };
const lease = async (net: Coordinator, token: string): Promise<Lease> =>
  (await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).json as Lease;

export const CHEATING_CASES: SoakCase[] = [
  {
    name: 'cheater sending zeros under fresh identities beside an honest device',
    fast: true,
    run: (size) =>
      withDevnet({ verifyRate: 0.05, epochMs: 0 }, async (net) => {
        const rounds = size === 'fast' ? 4 : 40;
        const honest = await registerNew(net);
        const cheaters = [await registerNew(net)];
        const honestTasks: string[] = [];
        let refused = 0;
        for (let i = 0; i < rounds; i++) {
          const work = await lease(net, honest.token);
          if (work.kind === 'task' && (await submit(net.url, work.leaseId, await runWithOrt(work.task), honest.token)).status === 200) {
            honestTasks.push(work.task.id);
          }
          const cheat = await lease(net, cheaters.at(-1)!.token);
          if (cheat.kind === 'none') {
            refused++;
            cheaters.push(await registerNew(net));
          } else await submit(net.url, cheat.leaseId, zeros(cheat.task), cheaters.at(-1)!.token);
        }
        const paid = (await receiptsOf(net, honest.token)).filter((r) => r.resourceType === 'cpu' && BigInt(r.totalWei) > 0n);
        const honestWei = wei(await receiptsOf(net, honest.token));
        let cheaterWei = 0n;
        for (const { token } of cheaters) cheaterWei += wei(await receiptsOf(net, token));
        return {
          ...clean,
          lost: rounds - paid.length,
          doubleCredits: doubles(net),
          ok: cheaterWei === 0n && paid.length === rounds && honestTasks.length === rounds && refused > 0,
          outcome:
            `${rounds} rounds: honest ${honestWei} wei, ${paid.length} of ${rounds} results paid; cheater ${cheaterWei} wei ` +
            `under ${cheaters.length} identities, ${refused} leases refused`,
        };
      }),
  },
  {
    name: 'model downloaded 21 times through one lease: its bytes paid once',
    fast: true,
    run: () =>
      withDevnet({ verifyRate: 1, epochMs: 0 }, async (net) => {
        const device = await registerNew(net);
        const work = await lease(net, device.token);
        if (work.kind !== 'task') return { ...clean, ok: false, outcome: `no task: ${work.message}` };
        let moved = 0;
        for (let i = 0; i < 21; i++) moved += (await (await fetch(work.task.model.url)).arrayBuffer()).byteLength;
        await submit(net.url, work.leaseId, await runWithOrt(work.task), device.token);
        const bandwidth = (await receiptsOf(net, device.token)).find((r) => r.resourceType === 'bandwidth');
        const paid = Number(bandwidth?.units ?? 0);
        return {
          ...clean,
          doubleCredits: doubles(net),
          ok: paid > work.task.model.size && paid < 2 * work.task.model.size,
          outcome: `${moved} model bytes downloaded, ${paid} bytes paid (the model is ${work.task.model.size})`,
        };
      }),
  },
];
