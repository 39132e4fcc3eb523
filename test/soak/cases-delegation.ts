// Cases for issue 29 item 4 (docs/protocol.md, "Delegation"): members of one owner's fleet revoked while each holds a
// lease, on the real devnet. What they had leased is still taken and paid to the owner, nothing new is handed out,
// and their keys cannot register again under the revoked delegation.
import { Wallet } from 'ethers';
import type { Task } from '../../main/common/task.js';
import { signDelegation, signRevocation } from '../../main/core/wallet/delegation.js';
import type { Coordinator } from '../../main/devnet/coordinator.js';
import { post, receiptsOf, signedRegistration, submit } from '../helpers/devnet-raw.js';
import { runWithOrt } from '../integration/support/network.js';
import { clean, doubles, withDevnet, type SoakCase } from './case.js';

const CHAIN_ID = 31337;
type Lease = { kind: 'task'; leaseId: string; task: Task } | { kind: 'none'; reason: string; message: string };
const lease = async (net: Coordinator, token: string): Promise<Lease> =>
  (await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).json as Lease;

export const DELEGATION_CASES: SoakCase[] = [
  {
    name: 'fleet members revoked while holding leases: their results still paid to the owner, no new work, no new registration',
    fast: true,
    run: (size) =>
      withDevnet({ epochMs: 0 }, async (net) => {
        const count = size === 'fast' ? 3 : 24;
        const owner = Wallet.createRandom();
        const members = await Promise.all(
          Array.from({ length: count }, async () => {
            const key = Wallet.createRandom();
            const delegation = await signDelegation(owner, CHAIN_ID, {
              delegate: key.address,
              deviceId: '',
              issuedAt: Date.now(),
              expiresAt: 0,
            });
            const register = async () => ({ ...(await signedRegistration(net, owner, key, { issuedAt: Date.now() })), delegation });
            const reply = await post(net.url, 'v1/devices/register', await register());
            return { key, register, token: String(reply.json['deviceToken']) };
          }),
        );
        const held = await Promise.all(members.map((m) => lease(net, m.token)));
        const revoked = await Promise.all(
          members.map(
            async (m) =>
              (await post(net.url, 'v1/delegations/revoke', await signRevocation(owner, CHAIN_ID, m.key.address, Date.now()))).json,
          ),
        );
        let accepted = 0;
        for (const [i, work] of held.entries()) {
          if (work.kind !== 'task') continue;
          const reply = await submit(net.url, work.leaseId, await runWithOrt(work.task), members[i]!.token);
          if (reply.status === 200 && reply.json['status'] === 'accepted') accepted++;
        }
        const refusedLeases = (await Promise.all(members.map((m) => lease(net, m.token)))).filter(
          (l) => l.kind === 'none' && l.reason === 'not-eligible',
        ).length;
        const refusedRegistrations = (
          await Promise.all(members.map(async (m) => post(net.url, 'v1/devices/register', await m.register())))
        ).filter((r) => r.status === 403 && (r.json['error'] as { code?: string } | undefined)?.code === 'delegation-ended').length;
        const paid = (await Promise.all(members.map((m) => receiptsOf(net, m.token))))
          .flat()
          .filter((r) => r.resourceType === 'cpu' && r.owner === owner.address && BigInt(r.totalWei) > 0n).length;
        const leased = held.filter((h) => h.kind === 'task').length;
        return {
          ...clean,
          lost: leased - paid,
          doubleCredits: doubles(net),
          ok:
            leased === count &&
            revoked.every((r) => r['status'] === 'revoked') &&
            accepted === count &&
            paid === count &&
            refusedLeases === count &&
            refusedRegistrations === count,
          outcome:
            `${count} members revoked holding ${leased} leases: ${accepted} results taken after the revocation, ${paid} paid to the owner; ` +
            `${refusedLeases} new leases and ${refusedRegistrations} registrations refused`,
        };
      }),
  },
];
