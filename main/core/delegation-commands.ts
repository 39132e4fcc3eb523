import type { z } from 'zod';
import { resultOf } from '../common/coded-error.js';
import type { delegationCommands } from '../common/delegation.js';
import type { ErrorCode, Result } from '../common/result.js';
import type { Contribution } from './contribution.js';
import { NetworkError } from './network/http.js';
import type { Member } from './network/member.js';
import type { Logger } from './ports.js';
import { signDelegation, signRevocation } from './wallet/delegation.js';
import { unexpectedWalletError, WalletError } from './wallet/errors.js';
import type { WalletService } from './wallet/service.js';

type Name = keyof typeof delegationCommands;
type Handlers = {
  [C in Name]: (
    args: z.output<(typeof delegationCommands)[C]['args']>,
  ) => Promise<Result<z.output<(typeof delegationCommands)[C]['result']>, ErrorCode>>;
};

export interface DelegationDeps {
  wallet: WalletService;
  member: Member;
  contribution: Pick<Contribution, 'client' | 'refresh' | 'whileNeeded'>;
  logger: Logger;
}

/**
 * The delegation commands (common/delegation.ts): on the owner, signing a member's delegation (after the same proof
 * as an export) and its revocation, in the connected coordinator's time and chain; on the member, its device key
 * and the delegation to earn under. Each answers coded data, never throws.
 */
export function delegationHandlers(d: DelegationDeps): Handlers {
  const { wallet, logger } = d;
  /** The owner's network: a delegation is signed for its chain, in its coordinator's time. */
  const network = async () => {
    const client = d.contribution.client();
    if (!client) throw new NetworkError('OFFLINE', 'This computer is not connected to a network yet; try again once it is.');
    return { client, chainId: (await client.pinned()).chainId };
  };
  /** A wallet refusal as its own code, the network's as unavailable for now; anything else is a bug, logged. */
  const answer = <T>(work: () => Promise<T>): Promise<Result<T, ErrorCode>> =>
    resultOf(work(), [WalletError], (error) =>
      error instanceof NetworkError ? { code: 'UNAVAILABLE', message: error.message } : unexpectedWalletError(logger)(error),
    );
  return {
    // The owner's network is needed meanwhile: the embedded devnet rests while nothing needs it.
    walletDelegate: ({ deviceAddress, deviceId, expiresAt, auth }) =>
      answer(() =>
        d.contribution.whileNeeded(async () => {
          const { client, chainId } = await network();
          await wallet.authorize('delegate', auth);
          const signed = await signDelegation(wallet.signer(), chainId, {
            delegate: deviceAddress,
            deviceId: deviceId ?? '',
            issuedAt: client.serverNow(),
            expiresAt: expiresAt ?? 0,
          });
          logger.info(`wallet: delegated to device key ${deviceAddress}${deviceId ? ` for device ${deviceId}` : ''}`);
          return signed;
        }),
      ),
    walletRevokeDelegation: ({ deviceAddress }) =>
      answer(() =>
        d.contribution.whileNeeded(async () => {
          const { client, chainId } = await network();
          const request = await signRevocation(wallet.signer(), chainId, deviceAddress, client.serverNow());
          const { status } = await client.revoke(request);
          logger.info(`wallet: revoked the delegations of device key ${deviceAddress} (${status})`);
          return { status };
        }),
      ),
    networkDeviceKey: () => answer(async () => ({ address: await d.member.address() })),
    networkUseDelegation: ({ delegation }) =>
      answer(async () => {
        const use = await d.member.use(delegation);
        logger.info(`network: earning to ${use.owner} under its delegation`);
        void d.contribution.refresh();
        return use;
      }),
  };
}
