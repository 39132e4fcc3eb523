import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { z } from 'zod';
import { Address } from '../../common/protocol.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import { WalletError } from '../wallet/errors.js';
import { usableStore, type SecretStore } from '../wallet/secret-store.js';

/** Where the key is: the OS store (the file names it), or the file itself. */
const KeyFileSchema = z.discriminatedUnion('kept', [
  z.object({ version: z.literal(1), kept: z.literal('os'), address: Address }).strict(),
  z.object({ version: z.literal(1), kept: z.literal('file'), address: Address, privateKey: z.string().regex(/^0x[0-9a-f]{64}$/) }).strict(),
]);

const accountFor = (address: string): string => `device-${address.toLowerCase()}`;

/** The JSON in `text`, or undefined when it is not JSON (a damaged file: its schema then says no). */
export const jsonOf = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * This machine's device key (`network/device-key.json`), made on first use: what a member machine signs its
 * registrations with under the owner's delegation (docs/protocol.md, "Delegation"). It is kept in the OS store when
 * there is one, else in the file itself, readable by this user only: unlike the wallet's key it moves no money and
 * asks for no passphrase at each start (a member runs unattended); a machine that is lost is cut off by the owner's
 * revocation.
 */
export async function openDeviceKey(dir: string, secrets: SecretStore | null, now: () => number): Promise<Wallet> {
  const file = join(dir, 'device-key.json');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const saved = text === null ? null : KeyFileSchema.safeParse(jsonOf(text));
  if (saved?.success) return readKey(saved.data, secrets);
  // A damaged file is kept aside and a new key made: the owner's delegation for the old one then no longer fits,
  // which member.ts says, and the owner delegates to the new one.
  if (saved) await setAside(file, 'bad', now());
  const key = new Wallet(Wallet.createRandom().privateKey);
  const store = await usableStore(secrets);
  if (store.ok) {
    await store.value.set(accountFor(key.address), key.privateKey);
    await writeFileAtomic(file, JSON.stringify({ version: 1, kept: 'os', address: key.address }));
  } else {
    await writeFileAtomic(file, JSON.stringify({ version: 1, kept: 'file', address: key.address, privateKey: key.privateKey }));
    await chmod(file, 0o600);
  }
  return key;
}

async function readKey(saved: z.infer<typeof KeyFileSchema>, secrets: SecretStore | null): Promise<Wallet> {
  const secret = saved.kept === 'file' ? saved.privateKey : await secrets?.get(accountFor(saved.address));
  if (!secret) {
    throw new WalletError(
      'SECRET_STORE',
      "This computer's device key is kept by the system's key store, which cannot give it now. Unlock the key store and try again.",
    );
  }
  const key = new Wallet(secret);
  if (key.address !== saved.address)
    throw new WalletError('SECRET_STORE', "This computer's device key does not match its record, so it cannot be used.");
  return key;
}
