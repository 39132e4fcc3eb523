import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fail, ok, type Result } from '../../common/result.js';
import { ChainSettingsSchema, type ChainSettings } from '../../common/wallet.js';
import { writeFileAtomic } from '../fs/atomic.js';

const PinsSchema = z.record(z.string(), ChainSettingsSchema);

/** Same chain and contracts; the label is only shown. */
const sameChain = (a: ChainSettings, b: ChainSettings): boolean =>
  a.rpcUrl === b.rpcUrl &&
  a.chainId === b.chainId &&
  a.tokenAddress.toLowerCase() === b.tokenAddress.toLowerCase() &&
  a.payoutAddress.toLowerCase() === b.payoutAddress.toLowerCase();

/**
 * The chain to claim on for the coordinator at `url`: the one set in Settings; else the one the coordinator's info
 * names, pinned (in `network/payout-chains.json`) the first time it is seen, so a coordinator cannot later move
 * payouts to another chain or contract unnoticed. A failure's message is a sentence saying what to do.
 */
export async function choosePayoutChain(o: {
  dataDir: string;
  url: string;
  configured: ChainSettings | null;
  discovered: ChainSettings | null;
}): Promise<Result<ChainSettings, 'CHAIN_MOVED' | 'NO_CHAIN'>> {
  if (o.configured) return ok(o.configured);
  const file = join(o.dataDir, 'network', 'payout-chains.json');
  const pins: Record<string, ChainSettings> = await readFile(file, 'utf8').then(
    (text) => PinsSchema.parse(JSON.parse(text)),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return {};
      throw error;
    },
  );
  const pinned = pins[o.url];
  if (pinned && o.discovered && !sameChain(pinned, o.discovered)) {
    return fail(
      'CHAIN_MOVED',
      `The network at ${o.url} now names another payout chain (chain ${o.discovered.chainId}, contract ${o.discovered.payoutAddress}) ` +
        `than the one it named before (chain ${pinned.chainId}, contract ${pinned.payoutAddress}). ` +
        'Claims stay on the earlier one; if you trust the change, enter the new chain in Settings.',
    );
  }
  if (pinned) return ok(pinned);
  if (!o.discovered) return fail('NO_CHAIN', `The network at ${o.url} names no payout chain: enter its chain in Settings to claim.`);
  await writeFileAtomic(file, JSON.stringify({ ...pins, [o.url]: o.discovered }));
  return ok(o.discovered);
}
