import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Address } from '../../common/protocol.js';
import { sameAddress } from '../../common/wallet.js';
import { writeFileAtomic } from '../fs/atomic.js';

const CoordinatorStateSchema = z
  .object({
    coordinator: Address,
    chainId: z.number().int(),
    token: z.string().nullable(),
    cursor: z.number().int().nonnegative(),
    /** The signed time of the last registration: the next one must be later (files from before v2 have none). */
    registeredAt: z.number().int().nonnegative().default(0),
  })
  .strict();
export type CoordinatorState = z.infer<typeof CoordinatorStateSchema>;

const DeviceId = z.string().min(1).max(128);
const Coordinators = z.record(z.string(), CoordinatorStateSchema);

/** A device id this machine earned under before, for another owner, kept with its tokens and receipt cursors. */
const EarlierSchema = z
  .object({
    deviceId: DeviceId,
    /** Absent when a coordinator said the id is another owner's without saying whose (`release`). */
    owner: Address.optional(),
    coordinators: Coordinators,
  })
  .strict();

/** client.json; file-repair.ts sets aside a file this does not accept. */
export const ClientStateSchema = z
  .object({
    deviceId: DeviceId,
    /** The owner this device id earns for, from the first one that used it (files from before have none). */
    owner: Address.optional(),
    coordinators: Coordinators,
    /** This machine's ids for the owners it earned for before: a device id belongs to one owner for good. */
    earlier: z.array(EarlierSchema).default([]),
  })
  .strict();
export type ClientState = z.infer<typeof ClientStateSchema>;

/** Every device id this machine has earned under (the current one first): its ledger holds epochs of each. */
export const deviceIdsOf = (state: ClientState): string[] => [state.deviceId, ...state.earlier.map((e) => e.deviceId)];

/**
 * The device ids `owner` earned under on this machine. A file from before owners were kept counts as the one of
 * whoever uses it (ClientFile.useOwner).
 */
export function deviceIdsFor(state: ClientState | undefined, owner: string): Set<string> {
  const ids = new Set(state?.earlier.filter((e) => sameAddress(e.owner, owner)).map((e) => e.deviceId));
  if (state && (state.owner === undefined || sameAddress(state.owner, owner))) ids.add(state.deviceId);
  return ids;
}

/** Every coordinator pinned, under any of this machine's device ids. */
export const pinsOf = (state: ClientState): CoordinatorState[] =>
  [state.coordinators, ...state.earlier.map((e) => e.coordinators)].flatMap((c) => Object.values(c));

/**
 * What client.json says without opening it for writing (the client, once started, is its one writer): this device's id
 * and the coordinators it pinned, per URL; undefined when there is no file yet.
 */
export async function readClientFile(file: string): Promise<ClientState | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? undefined : ClientStateSchema.parse(JSON.parse(text));
}

const newDeviceId = (): string => `dev-${randomUUID()}`;

/**
 * `network/client.json`: this device's id and owner, per coordinator URL the key it pinned, its token and receipt
 * cursor; and the same for the ids it had for other owners before.
 */
export class ClientFile {
  private constructor(
    private readonly file: string,
    private state: ClientState,
  ) {}

  /** Reads the file, or starts one with a new random device id. */
  static async open(file: string): Promise<ClientFile> {
    const state = await readFile(file, 'utf8').then(
      (text) => ClientStateSchema.parse(JSON.parse(text)),
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return { deviceId: newDeviceId(), coordinators: {}, earlier: [] };
        throw error;
      },
    );
    const opened = new ClientFile(file, state);
    await opened.write();
    return opened;
  }

  get deviceId(): string {
    return this.state.deviceId;
  }

  /** The owner the device id in use earns for (undefined: a file from before owners were kept, not used since). */
  get owner(): string | undefined {
    return this.state.owner;
  }

  /** The owner one of this machine's device ids earns for, where known. */
  ownerOf(deviceId: string): string | undefined {
    const { state } = this;
    return deviceId === state.deviceId ? state.owner : state.earlier.find((e) => e.deviceId === deviceId)?.owner;
  }

  /** See deviceIdsOf. */
  deviceIds(): string[] {
    return deviceIdsOf(this.state);
  }

  /**
   * Makes this machine's device id the one of `owner`: the id it had for that owner before, else a new one (a device id
   * the coordinator knows as another owner's can never earn for this one). The id in use until now is kept, with its
   * tokens and cursors, for when its owner comes back. Returns whether the id changed. A file from before owners were
   * kept is taken for this owner, and registers again: the coordinator refuses it if the id is another owner's.
   */
  async useOwner(owner: string): Promise<boolean> {
    const { state } = this;
    if (sameAddress(state.owner, owner)) return false;
    if (state.owner === undefined) {
      const coordinators = Object.fromEntries(Object.entries(state.coordinators).map(([url, c]) => [url, { ...c, token: null }]));
      this.state = { ...state, owner, coordinators };
      await this.write();
      return false;
    }
    const back = state.earlier.find((e) => sameAddress(e.owner, owner));
    const current = { deviceId: state.deviceId, owner: state.owner, coordinators: state.coordinators };
    this.moveTo(back ?? { deviceId: newDeviceId(), owner, coordinators: {} }, current);
    await this.write();
    return true;
  }

  /**
   * The coordinator holds the device id for another owner, unnamed: the id the owner in use had before, else a new
   * one.
   */
  async release(): Promise<void> {
    const { state } = this;
    const { owner } = state;
    const back = owner === undefined ? undefined : state.earlier.find((e) => sameAddress(e.owner, owner));
    this.moveTo(back ?? { deviceId: newDeviceId(), owner: state.owner, coordinators: {} }, {
      deviceId: state.deviceId,
      coordinators: state.coordinators,
    });
    await this.write();
  }

  coordinator(url: string): CoordinatorState | undefined {
    return this.state.coordinators[url];
  }

  /** See pinsOf. */
  coordinators(): CoordinatorState[] {
    return pinsOf(this.state);
  }

  /** Saves what is known of the coordinator at `url` (written atomically before it counts). */
  setCoordinator(url: string, coordinator: CoordinatorState): Promise<void> {
    this.state = { ...this.state, coordinators: { ...this.state.coordinators, [url]: coordinator } };
    return this.write();
  }

  private moveTo(next: z.infer<typeof EarlierSchema>, current: z.infer<typeof EarlierSchema>): void {
    const earlier = [current, ...this.state.earlier.filter((e) => e.deviceId !== current.deviceId && e.deviceId !== next.deviceId)];
    this.state = { ...next, earlier };
  }

  private write(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(this.state));
  }
}
