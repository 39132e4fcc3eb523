import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { PeerIdSchema } from '../../common/fleet.js';
import { readKept, writeKept } from './kept-file.js';

/**
 * This machine's long-term fleet key: X25519, for the key agreement every box between two paired machines is sealed
 * under (seal.ts). Made once, kept in the data folder (mode 0600, like every file there); the private half never
 * leaves this module's owner, the agent, and is never sent to the page.
 */
export interface FleetIdentity {
  /** The public key, base64url: how peers name this machine. */
  readonly id: string;
  readonly privateKey: KeyObject;
  /** What a person compares by eye: the public key's SHA-256, in groups. */
  readonly fingerprint: string;
}

const IdentityFileSchema = z.object({ x: PeerIdSchema, d: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }).strict();

export const identityFile = (dataDir: string): string => join(dataDir, 'fleet', 'identity.json');

export function fingerprintOf(id: string): string {
  const hex = createHash('sha256').update(Buffer.from(id, 'base64url')).digest('hex').slice(0, 32);
  return (hex.match(/.{4}/g) ?? []).join(' ');
}

/** A public key object for a peer's id. */
export const publicKeyOf = (id: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: id }, format: 'jwk' });

const fromJwk = (x: string, d: string): FleetIdentity => ({
  id: x,
  privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', x, d }, format: 'jwk' }),
  fingerprint: fingerprintOf(x),
});

/** The kept key, or a new one; `setAsideAs` names a damaged file that was replaced (every pairing must then be made again). */
export async function loadIdentity(dataDir: string, now: number): Promise<{ identity: FleetIdentity; setAsideAs?: string }> {
  const file = identityFile(dataDir);
  const kept = await readKept(file, IdentityFileSchema, now);
  if (kept.status === 'ok') return { identity: fromJwk(kept.value.x, kept.value.d) };
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const { x, d } = IdentityFileSchema.parse({ x: jwk.x, d: jwk.d });
  await writeKept(file, { x, d });
  return { identity: fromJwk(x, d), ...(kept.status === 'set-aside' ? { setAsideAs: kept.as } : {}) };
}
