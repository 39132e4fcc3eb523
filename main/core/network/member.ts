import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Wallet } from 'ethers';
import { SignedDelegationSchema, type DelegationUse, type SignedDelegation } from '../../common/delegation.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Clock } from '../ports.js';
import { WalletError } from '../wallet/errors.js';
import type { SecretStore } from '../wallet/secret-store.js';
import type { OwnerSigner } from './client-types.js';
import { jsonOf, openDeviceKey } from './device-key.js';

/**
 * A member machine of a fleet under one wallet (docs/protocol.md, "Delegation"): its device key, and the owner's
 * delegation it earns under (`network/delegation.json`), from which it signs its registrations with no wallet of
 * its own. The coordinator checks the owner's signature and whether it was revoked; this side checks what it can
 * without the network: that the delegation is for this machine's key and still in force.
 */
export interface Member {
  /** This machine's device key address, made on the first ask. */
  address(): Promise<string>;
  /** Keeps the delegation to earn under from now on. Throws WalletError (NOT_APPLICABLE) when it is not for this machine. */
  use(signed: SignedDelegation): Promise<DelegationUse>;
  /** What registrations are signed with under the kept delegation; null when there is none. */
  signer(): Promise<OwnerSigner | null>;
}

export function createMember(o: { dir: string; secrets: SecretStore | null; clock: Pick<Clock, 'now'> }): Member {
  const file = join(o.dir, 'delegation.json');
  let key: Promise<Wallet> | null = null;
  // Made once, by the first caller; a failure (a locked key store) is tried again by the next.
  const deviceKey = (): Promise<Wallet> => {
    key ??= openDeviceKey(o.dir, o.secrets, o.clock.now).catch((error: unknown) => {
      key = null;
      throw error;
    });
    return key;
  };
  const kept = async (): Promise<SignedDelegation | null> => {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (text === null) return null;
    const parsed = SignedDelegationSchema.safeParse(jsonOf(text));
    // Said in words where the dashboard shows why this computer does not earn; a new delegation replaces the file.
    if (!parsed.success) {
      throw new WalletError(
        'NOT_APPLICABLE',
        'the saved permission to earn to the owner’s wallet is damaged. Ask the owner for a new one.',
      );
    }
    return parsed.data;
  };
  return {
    address: async () => (await deviceKey()).address,
    async use(signed) {
      const { delegation } = signed;
      const own = await deviceKey();
      if (delegation.delegate.toLowerCase() !== own.address.toLowerCase()) {
        throw new WalletError(
          'NOT_APPLICABLE',
          `This permission is for another computer's key (${delegation.delegate}), not this one's (${own.address}). Ask the owner for one made for this computer.`,
        );
      }
      if (delegation.expiresAt !== 0 && delegation.expiresAt <= o.clock.now()) {
        throw new WalletError('NOT_APPLICABLE', 'This permission has expired. Ask the owner for a new one.');
      }
      await writeFileAtomic(file, JSON.stringify(signed));
      return { owner: delegation.owner, delegate: delegation.delegate, deviceId: delegation.deviceId, expiresAt: delegation.expiresAt };
    },
    async signer() {
      const signed = await kept();
      if (!signed) return null;
      const own = await deviceKey();
      if (signed.delegation.delegate.toLowerCase() !== own.address.toLowerCase()) {
        throw new WalletError(
          'NOT_APPLICABLE',
          'this computer has a new device key (the old one was damaged), so the owner’s permission no longer fits. Ask the owner for a new one.',
        );
      }
      return {
        address: own.address,
        owner: signed.delegation.owner,
        delegation: signed,
        signTypedData: (domain, types, value) => own.signTypedData(domain, types, value),
      };
    },
  };
}
