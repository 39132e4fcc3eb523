import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic.js';
import { parseKeystore } from './keystore-v3.js';
import { errnoCode } from '../../common/errno.js';

/**
 * keystore.json, the passphrase-encrypted key. ethers answers "incorrect password" for a wrong passphrase and for
 * a damaged file alike (the MAC covers the ciphertext), so the file carries its own checksum, written with it in
 * one atomic write: damage is found without the passphrase. Files from before the checksum get the structural
 * checks only (keystore-v3.ts).
 */
const CHECKSUM_FIELD = 'synorChecksum';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export type KeystoreRead =
  { status: 'missing' } | { status: 'damaged'; reason: string } | { status: 'ok'; json: string; address: string | undefined };

export async function writeKeystore(file: string, json: string): Promise<void> {
  const keystore: unknown = JSON.parse(json);
  if (typeof keystore !== 'object' || keystore === null) throw new TypeError('a keystore is a JSON object');
  await writeFileAtomic(file, JSON.stringify({ ...keystore, [CHECKSUM_FIELD]: sha256(JSON.stringify(keystore)) }));
}

export async function readKeystore(file: string): Promise<KeystoreRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { status: 'missing' };
    return { status: 'damaged', reason: `it cannot be read (${errnoCode(error) ?? 'error'})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'damaged', reason: 'it is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { status: 'damaged', reason: 'it is not a keystore' };
  const { [CHECKSUM_FIELD]: checksum, ...keystore } = Object.fromEntries(Object.entries(parsed));
  if (checksum !== undefined && checksum !== sha256(JSON.stringify(keystore))) {
    return { status: 'damaged', reason: 'its checksum does not match (some bytes changed)' };
  }
  const checked = parseKeystore(keystore);
  return checked.ok ? { status: 'ok', ...checked.value } : { status: 'damaged', reason: checked.error.message };
}
