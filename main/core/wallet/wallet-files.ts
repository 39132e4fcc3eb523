import { readFile } from 'node:fs/promises';
import { getAddress } from 'ethers';
import { z } from 'zod';
import { AddressSchema, BackupStateSchema, KeyStorageSchema, shortAddress } from '../../common/wallet.js';
import { setAside } from '../fs/set-aside.js';
import { WalletError } from './errors.js';
import { readKeystore, type KeystoreRead } from './keystore-file.js';

/** wallet.json: which address this computer's wallet has and where its key is kept. */
export const MetaSchema = z.object({
  version: z.literal(1),
  address: AddressSchema,
  storage: KeyStorageSchema,
  backup: BackupStateSchema,
});
export type Meta = z.infer<typeof MetaSchema>;

const parseJson = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

export interface Loaded {
  meta: Meta | undefined;
  /** wallet.json must be written: it was rebuilt from the key file. */
  rebuilt: boolean;
  /** What was repaired, in words for the user; undefined when all was well. */
  notice?: string;
  /** The address of a wallet set aside because its key file is missing or damaged. */
  lost?: string;
}

/**
 * A keystore-file wallet whose key file is missing or damaged: its files are renamed aside (never deleted) and the
 * wallet falls back to "none", so importing its phrase or backup works at once. Returns the notice.
 */
export async function setAsideLostKey(
  files: { metaFile: string; keystoreFile: string },
  key: Exclude<KeystoreRead, { status: 'ok' }>,
  address: string,
  now: number,
): Promise<string> {
  const keptKey =
    key.status === 'damaged' ? `is damaged (${key.reason}); it was kept as ${await setAside(files.keystoreFile, 'bad', now)}` : undefined;
  const keptMeta = await setAside(files.metaFile, 'old', now);
  return lostNotice(address, `The file holding its key ${keptKey ?? `is missing; the wallet's record was kept as ${keptMeta}`}`);
}

/**
 * A wallet whose key the OS store (keychain, safeStorage) answers it no longer holds: its record is renamed aside and
 * the wallet falls back to "none", as for a lost key file. Returns the notice.
 */
export async function setAsideKeylessRecord(metaFile: string, storage: Meta['storage'], address: string, now: number): Promise<string> {
  const keptMeta = await setAside(metaFile, 'old', now);
  const store = storage === 'keychain' ? "your system's keychain" : 'your operating system';
  return lostNotice(address, `Its key is no longer kept by ${store}; the wallet's record was kept as ${keptMeta}`);
}

const lostNotice = (address: string, what: string): string =>
  `Your wallet ${shortAddress(address)} needs its recovery phrase or backup file: import it to go on. ${what} (nothing was deleted).`;

/**
 * Reads wallet.json and checks keystore.json. A damaged file is renamed aside (never deleted); a lost wallet.json
 * is rebuilt from an intact key file (a V3 keystore names its address), so "create a wallet" is never the way out;
 * a lost or damaged key file leaves no wallet, so its backup can be imported.
 */
export async function loadWalletFiles(metaFile: string, keystoreFile: string, now: number): Promise<Loaded> {
  const text = await readFile(metaFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new WalletError('STORAGE', `Cannot read ${metaFile}: ${error.message}`);
  });
  const keystore = await readKeystore(keystoreFile);
  const parsed = MetaSchema.safeParse(parseJson(text));
  const meta = parsed.success ? parsed.data : undefined;
  if (meta?.storage === 'keystore-file' && keystore.status !== 'ok') {
    const notice = await setAsideLostKey({ metaFile, keystoreFile }, keystore, meta.address, now);
    return { meta: undefined, rebuilt: false, notice, lost: meta.address };
  }
  const keptAs = text !== undefined && !meta ? await setAside(metaFile, 'bad', now) : undefined;
  const lost = keptAs ? `The wallet file was damaged; it was kept as ${keptAs}` : 'The wallet file was missing';
  if (keystore.status === 'damaged' && !meta) {
    const aside = await setAside(keystoreFile, 'bad', now);
    const notice =
      `The file holding your wallet key is damaged (${keystore.reason}); it was kept as ${aside} (nothing was deleted). ` +
      'Import your recovery phrase or your exported backup.';
    return { meta: undefined, rebuilt: false, notice };
  }
  if (!meta && keystore.status === 'ok' && keystore.address) {
    const address = getAddress(`0x${keystore.address.replace(/^0x/, '')}`);
    const notice = `${lost}, so your wallet was restored from its key file. Unlock it with your passphrase.`;
    return { meta: { version: 1, address, storage: 'keystore-file', backup: 'export-recommended' }, rebuilt: true, notice };
  }
  if (!meta && keptAs) {
    const notice =
      `${lost} (nothing was deleted). If your key was in the OS keychain it is still there: import your ` +
      'recovery phrase or your exported backup to use that wallet again.';
    return { meta: undefined, rebuilt: false, notice };
  }
  return { meta, rebuilt: false };
}
