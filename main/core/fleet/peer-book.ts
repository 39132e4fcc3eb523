import { join } from 'node:path';
import { z } from 'zod';
import { PeerIdSchema, PeerRoleSchema } from '../../common/fleet.js';
import { SerialQueue } from '../../common/serial.js';
import { readKept, writeKept } from './kept-file.js';

/**
 * The machines paired with this one (`fleet/peers.json`, checksummed, written whole). A revoked peer stays listed
 * with the time, so its messages get "revoked" rather than "unknown", until it pairs again.
 */
export const PeerRecordSchema = z
  .object({
    id: PeerIdSchema,
    name: z.string().max(120),
    /** member: this machine controls it; owner: it controls this machine. */
    role: PeerRoleSchema,
    /** host:port where it listens, learnt at pairing. */
    address: z.string().max(300).nullable(),
    pairedAt: z.number().int().nonnegative(),
    revokedAt: z.number().int().nonnegative().nullable(),
    lastSeen: z.number().int().nonnegative().nullable(),
    /** One wallet for the fleet (issue 29 item 4): the owner's signed delegation for this member, once there is one. */
    delegation: z.record(z.string(), z.unknown()).nullable().default(null),
  })
  .strict();
export type PeerRecord = z.infer<typeof PeerRecordSchema>;

const PeersFileSchema = z.object({ peers: z.array(PeerRecordSchema).max(10_000) }).strict();

export class PeerBook {
  private readonly writes = new SerialQueue();
  private readonly watchers = new Set<() => void>();

  private constructor(
    private readonly file: string,
    private readonly peers: Map<string, PeerRecord>,
  ) {}

  /** The kept list, or an empty one; `setAsideAs` names a damaged file that was moved aside. */
  static async open(dataDir: string, now: number): Promise<{ book: PeerBook; setAsideAs?: string }> {
    const file = join(dataDir, 'fleet', 'peers.json');
    const kept = await readKept(file, PeersFileSchema, now);
    const peers = kept.status === 'ok' ? kept.value.peers : [];
    const book = new PeerBook(file, new Map(peers.map((peer) => [peer.id, peer])));
    return { book, ...(kept.status === 'set-aside' ? { setAsideAs: kept.as } : {}) };
  }

  get(id: string): PeerRecord | undefined {
    return this.peers.get(id);
  }

  all(): PeerRecord[] {
    return [...this.peers.values()];
  }

  /** Paired and not revoked, with the given role. */
  active(role: PeerRecord['role']): PeerRecord[] {
    return this.all().filter((peer) => peer.role === role && peer.revokedAt === null);
  }

  /** Adds or replaces a record, and keeps it before it counts. */
  async put(record: PeerRecord): Promise<PeerRecord> {
    this.peers.set(record.id, record);
    await this.save();
    for (const watcher of this.watchers) watcher();
    return record;
  }

  /** Called after each pairing or revocation is kept (the broker path follows who is paired). */
  watch(watcher: () => void): void {
    this.watchers.add(watcher);
  }

  /** A message came from it just now: remembered in memory, kept with the next change (not a write per poll). */
  seen(id: string, at: number): void {
    const peer = this.peers.get(id);
    if (peer) this.peers.set(id, { ...peer, lastSeen: at });
  }

  private save(): Promise<void> {
    // Each write takes the list as it is on its turn, so the last one holds every change.
    return this.writes.run(() => writeKept(this.file, { peers: this.all() }));
  }
}
