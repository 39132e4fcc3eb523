import { randomBytes } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import { errnoCode } from '../../common/errno.js';

/**
 * The headless agent's address kept between runs, so a bookmark or a script keeps working after a restart: the token
 * that opens the local API and the port chosen last time (none yet when only `--port 0` runs were made).
 */
export const LocalAddressSchema = z
  .object({
    token: z.string().regex(/^[0-9a-f]{64}$/),
    port: z.number().int().min(1).max(65535).optional(),
  })
  .strict();
export type LocalAddress = z.infer<typeof LocalAddressSchema>;

const FILE_NAME = 'local-api.json';
/** The file is a hundred bytes; anything far larger is not one (and is not read whole). */
const MAX_BYTES = 4096;

export const localAddressFile = (dataDir: string): string => join(dataDir, FILE_NAME);

export const newToken = (): string => randomBytes(32).toString('hex');

/** The file as found: missing, unusable (damaged, not a plain file, unreadable), or the address it holds. */
export async function readLocalAddress(dataDir: string): Promise<LocalAddress | 'unusable' | undefined> {
  const file = localAddressFile(dataDir);
  let text: string;
  try {
    // lstat first: reading a fifo would wait forever, and a link may point anywhere.
    const found = await lstat(file);
    if (!found.isFile() || found.size > MAX_BYTES) return 'unusable';
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') return 'unusable';
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'unusable';
  }
  const parsed = LocalAddressSchema.safeParse(json);
  return parsed.success ? parsed.data : 'unusable';
}

/** Written whole or not at all, readable by this user only (the token opens the agent). */
export const saveLocalAddress = (dataDir: string, address: LocalAddress): Promise<void> =>
  writeFileAtomic(localAddressFile(dataDir), `${JSON.stringify(address)}\n`);

/**
 * The kept address, or a new token when there is none. An unusable file is set aside (never deleted: the user may
 * want to look) and `setAsideAs` names where it went, for the notice.
 */
export async function loadLocalAddress(dataDir: string, now: number): Promise<{ address: LocalAddress; setAsideAs?: string }> {
  const found = await readLocalAddress(dataDir);
  if (found === undefined) return { address: { token: newToken() } };
  if (found !== 'unusable') return { address: found };
  const setAsideAs = await setAside(localAddressFile(dataDir), 'bad', now);
  return { address: { token: newToken() }, setAsideAs };
}

/** A new token for the kept address (the port stays): every link and script holding the old one stops working. */
export async function rotateLocalToken(dataDir: string, now: number): Promise<{ address: LocalAddress; setAsideAs?: string }> {
  const loaded = await loadLocalAddress(dataDir, now);
  const address = { ...loaded.address, token: newToken() };
  await saveLocalAddress(dataDir, address);
  return { ...loaded, address };
}
