import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic.js';

/**
 * keystore.json, the passphrase-encrypted key. ethers answers "incorrect password" for a wrong passphrase and for
 * a damaged file alike (the MAC covers the ciphertext), so the file carries its own checksum, written with it in
 * one atomic write: damage is found without the passphrase. Files from before the checksum get the structural
 * checks only (JSON, V3 fields, a 32-byte ciphertext, a 32-byte MAC).
 */
const CHECKSUM_FIELD = 'synorChecksum';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const HEX64 = /^[0-9a-f]{64}$/i;

export type KeystoreRead =
  { status: 'missing' } | { status: 'damaged'; reason: string } | { status: 'ok'; json: string; address: string | undefined };

export async function writeKeystore(file: string, json: string): Promise<void> {
  const keystore = JSON.parse(json) as Record<string, unknown>;
  await writeFileAtomic(file, JSON.stringify({ ...keystore, [CHECKSUM_FIELD]: sha256(JSON.stringify(keystore)) }));
}

export async function readKeystore(file: string): Promise<KeystoreRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'damaged', reason: `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'damaged', reason: 'it is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { status: 'damaged', reason: 'it is not a keystore' };
  const { [CHECKSUM_FIELD]: checksum, ...keystore } = parsed as Record<string, unknown>;
  if (checksum !== undefined && checksum !== sha256(JSON.stringify(keystore))) {
    return { status: 'damaged', reason: 'its checksum does not match (some bytes changed)' };
  }
  const crypto = (keystore['crypto'] ?? keystore['Crypto']) as Record<string, unknown> | undefined;
  const ciphertext = crypto?.['ciphertext'];
  const mac = crypto?.['mac'];
  if (
    keystore['version'] !== 3 ||
    typeof ciphertext !== 'string' ||
    !HEX64.test(ciphertext) ||
    typeof mac !== 'string' ||
    !HEX64.test(mac.replace(/^0x/, ''))
  ) {
    return { status: 'damaged', reason: 'it is not a complete V3 keystore' };
  }
  const address = typeof keystore['address'] === 'string' ? keystore['address'] : undefined;
  return { status: 'ok', json: JSON.stringify(keystore), address };
}
