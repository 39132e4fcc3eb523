/**
 * The devnet's side of delegation (docs/protocol.md, "Delegation"): which registrations a member's device key may
 * sign for an owner, and the owners' revocations, kept in a file beside the state so a restart forgets none.
 */
import { verifyTypedData } from 'ethers';
import { z } from 'zod';
import { DELEGATION_TYPES, REVOCATION_TYPES, type RevokeRequest, type SignedDelegation } from '../common/delegation.js';
import { eip712Domain, type Registration } from '../common/protocol.js';
import { sameAddress } from '../common/wallet.js';
import { writeFileAtomic } from '../core/fs/atomic.js';
import type { Logger } from '../core/ports.js';
import { HttpError } from './http-util.js';
import { readKept } from './kept-file.js';

/** What a device registered under a delegation keeps of it: enough to refuse its work once it ended. */
export const DelegatedSchema = z.object({ owner: z.string(), delegate: z.string(), issuedAt: z.number(), expiresAt: z.number() }).strict();
export type Delegated = z.infer<typeof DelegatedSchema>;

const FileSchema = z.object({ revoked: z.record(z.string(), z.number()), voidBefore: z.number().optional() }).strict();

/** How far from the coordinator's clock a signed time may be: registrations, delegations, revocations. */
export const CLOCK_WINDOW_MS = 10 * 60_000;

const pairKey = (owner: string, delegate: string): string => `${owner.toLowerCase()}|${delegate.toLowerCase()}`;

function recover(
  chainId: number,
  types: Record<string, { name: string; type: string }[]>,
  value: Record<string, unknown>,
  signature: string,
): string {
  try {
    return verifyTypedData(eip712Domain(chainId), types, value, signature);
  } catch {
    return ''; // an unreadable signature is refused like a foreign one
  }
}

export class DelegationBook {
  private constructor(
    private readonly file: string | null,
    private readonly chainId: number,
    private readonly now: () => number,
    /** Per owner and delegate key: the newest revocation's time; delegations issued at or before it are void. */
    private readonly revoked: Map<string, number>,
    /** Every delegation issued at or before this time is void: the revocations were lost with a damaged file. */
    private readonly voidBefore: number,
  ) {}

  static async open(o: { file: string | null; chainId: number; now: () => number; logger?: Logger | undefined }): Promise<DelegationBook> {
    const read = o.file ? await readKept(o.file, FileSchema, o.now()) : { value: null, damaged: null };
    if (!read.damaged) {
      return new DelegationBook(o.file, o.chainId, o.now, new Map(Object.entries(read.value?.revoked ?? {})), read.value?.voidBefore ?? 0);
    }
    // Fail closed: a revocation lost with the file must not let a withdrawn machine go on earning under the owner's name.
    const book = new DelegationBook(o.file, o.chainId, o.now, new Map(), o.now());
    await book.save();
    o.logger?.warn(
      `The devnet's record of withdrawn permissions was damaged; it was kept as ${read.damaged.keptAs}. Every permission given before now no longer counts: owners give their machines new ones.`,
    );
    return book;
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await writeFileAtomic(this.file, JSON.stringify({ revoked: Object.fromEntries(this.revoked), voidBefore: this.voidBefore }));
  }

  /**
   * The delegation a registration signed by `signer` (not its owner) is accepted under, or an HttpError saying why
   * not: signed by the owner the registration names, for this key and device, in force, not revoked.
   */
  accept(signed: SignedDelegation, signer: string, registration: Registration): Delegated {
    const d = signed.delegation;
    if (!sameAddress(recover(this.chainId, DELEGATION_TYPES, d, signed.signature), d.owner)) {
      throw new HttpError(403, 'bad-signature', 'The delegation is not signed by the owner address it names.');
    }
    if (!sameAddress(d.owner, registration.owner)) {
      throw new HttpError(403, 'bad-signature', 'The delegation is for another owner than the registration names.');
    }
    if (!sameAddress(d.delegate, signer)) {
      throw new HttpError(403, 'bad-signature', 'The registration is not signed by the device key the delegation names.');
    }
    if (d.deviceId !== '' && d.deviceId !== registration.deviceId) {
      throw new HttpError(403, 'bad-signature', 'The delegation is for another device of this key.');
    }
    if (d.issuedAt > this.now() + CLOCK_WINDOW_MS) {
      throw new HttpError(400, 'stale', 'The delegation was signed more than 10 minutes ahead of the coordinator time.');
    }
    const delegated = { owner: d.owner, delegate: d.delegate, issuedAt: d.issuedAt, expiresAt: d.expiresAt };
    const ended = this.ended(delegated);
    if (ended) throw new HttpError(403, 'delegation-ended', ended);
    return delegated;
  }

  /** Why work under this delegation is refused now (revoked, expired), in plain words; null while it is in force. */
  ended(d: Delegated): string | null {
    if (d.issuedAt <= this.voidBefore) {
      return 'the network lost its record of withdrawn permissions, so the permission to earn to the owner’s wallet no longer counts. Ask the owner for a new one.';
    }
    if ((this.revoked.get(pairKey(d.owner, d.delegate)) ?? 0) >= d.issuedAt) {
      return 'the owner of the wallet this computer earns to has withdrawn its permission. Ask them for a new one, or set up a wallet of your own.';
    }
    if (d.expiresAt !== 0 && d.expiresAt <= this.now()) {
      return 'the permission to earn to the owner’s wallet has expired. Ask the owner for a new one.';
    }
    return null;
  }

  /** Records an owner's signed revocation; `already` when a newer one was recorded before. */
  async revoke({ revocation, signature }: RevokeRequest): Promise<'revoked' | 'already'> {
    if (!sameAddress(recover(this.chainId, REVOCATION_TYPES, revocation, signature), revocation.owner)) {
      throw new HttpError(403, 'bad-signature', 'The revocation is not signed by the owner address it names.');
    }
    if (revocation.issuedAt > this.now() + CLOCK_WINDOW_MS) {
      throw new HttpError(400, 'stale', 'The revocation was signed more than 10 minutes ahead of the coordinator time.');
    }
    const key = pairKey(revocation.owner, revocation.delegate);
    if ((this.revoked.get(key) ?? 0) >= revocation.issuedAt) return 'already';
    this.revoked.set(key, revocation.issuedAt);
    await this.save();
    return 'revoked';
  }
}
