import { createCipheriv, createDecipheriv, diffieHellman, hkdfSync, randomBytes } from 'node:crypto';
import { EnvelopeSchema, FLEET_WIRE_VERSION, type Envelope, type Frame } from '../../common/fleet.js';
import { fail, ok, type Result } from '../../common/result.js';
import { publicKeyOf, type FleetIdentity } from './identity.js';

/**
 * Boxes between two fleet machines: chacha20-poly1305 under a key from their X25519 agreement (HKDF-SHA256), one key
 * per direction so a box cannot be sent back to its sender as if it were the other's. The frame's from/to are the
 * associated data: a box moved to another pair of names does not open. Replay is the caller's (replay.ts): the
 * envelope inside carries the time and a one-time id.
 */
const SALT = Buffer.from('synor-fleet/1');
const TAG_BYTES = 16;

const aad = (from: string, to: string): Buffer => Buffer.from(`synor-fleet/${FLEET_WIRE_VERSION}\n${from}\n${to}`);

export class Sealer {
  /** Per peer: the shared secret (one agreement each, not one per frame) and the keys derived from it, by name. */
  private readonly peers = new Map<string, { secret: Buffer; derived: Map<string, Buffer> }>();

  constructor(readonly self: FleetIdentity) {}

  /** HKDF of the pair's secret under `info`, worked out once per peer and name (a frame is sealed per poll). */
  private derive(peer: string, info: string, bytes: number): Buffer {
    let known = this.peers.get(peer);
    if (!known) {
      known = { secret: diffieHellman({ privateKey: this.self.privateKey, publicKey: publicKeyOf(peer) }), derived: new Map() };
      // Keys of forgotten peers are not kept for ever; a few hundred peers is the scale (docs/fleet.md).
      if (this.peers.size >= 4096) this.peers.clear();
      this.peers.set(peer, known);
    }
    let key = known.derived.get(info);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', known.secret, SALT, info, bytes));
      known.derived.set(info, key);
    }
    return key;
  }

  private key(peer: string, from: string, to: string): Buffer {
    return this.derive(peer, `key\n${from}\n${to}`, 32);
  }

  /**
   * A name for the messages of one kind from `from` to `to` (one of them this machine): from the pair's agreement, so
   * only the two can tell whose it is; a broker sees neither key nor name (broker-transport.ts).
   */
  channel(peer: string, kind: string, from: string, to: string): string {
    return this.derive(peer, `channel\n${kind}\n${from}\n${to}`, 16).toString('base64url');
  }

  /** A frame for `peer` holding `envelope`. */
  seal(peer: string, envelope: Envelope): Frame {
    const from = this.self.id;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('chacha20-poly1305', this.key(peer, from, peer), nonce, { authTagLength: TAG_BYTES });
    const plain = Buffer.from(JSON.stringify(envelope), 'utf8');
    cipher.setAAD(aad(from, peer), { plaintextLength: plain.length });
    const box = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { v: FLEET_WIRE_VERSION, from, to: peer, nonce: nonce.toString('base64url'), box: box.toString('base64url') };
  }

  /** The envelope in a frame sent to this machine, or BAD_FRAME when the box does not open or holds no envelope. */
  open(frame: Frame): Result<Envelope, 'BAD_FRAME'> {
    const refused = fail('BAD_FRAME', 'The message could not be opened: it was not sealed for this machine by its sender.');
    if (frame.to !== this.self.id) return refused;
    const box = Buffer.from(frame.box, 'base64url');
    if (box.length < TAG_BYTES) return refused;
    try {
      const decipher = createDecipheriv(
        'chacha20-poly1305',
        this.key(frame.from, frame.from, frame.to),
        Buffer.from(frame.nonce, 'base64url'),
        {
          authTagLength: TAG_BYTES,
        },
      );
      decipher.setAAD(aad(frame.from, frame.to), { plaintextLength: box.length - TAG_BYTES });
      decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(box.subarray(0, box.length - TAG_BYTES)), decipher.final()]);
      const envelope = EnvelopeSchema.safeParse(JSON.parse(plain.toString('utf8')));
      return envelope.success ? ok(envelope.data) : refused;
    } catch {
      // A wrong tag, a key that is not a curve point, or a box that holds no JSON: all one answer.
      return refused;
    }
  }
}

/** A one-time id for an envelope: 128 random bits. */
export const newMessageId = (): string => randomBytes(16).toString('base64url');
