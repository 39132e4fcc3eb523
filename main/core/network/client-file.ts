import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Address } from '../../common/protocol.js';
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

/** client.json; file-repair.ts sets aside a file this does not accept. */
export const ClientStateSchema = z
  .object({ deviceId: z.string().min(1).max(128), coordinators: z.record(z.string(), CoordinatorStateSchema) })
  .strict();
export type ClientState = z.infer<typeof ClientStateSchema>;

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

/** `network/client.json`: this device's id, and per coordinator URL the key it pinned, its token and receipt cursor. */
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
        if (error.code === 'ENOENT') return { deviceId: `dev-${randomUUID()}`, coordinators: {} };
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

  coordinator(url: string): CoordinatorState | undefined {
    return this.state.coordinators[url];
  }

  coordinators(): CoordinatorState[] {
    return Object.values(this.state.coordinators);
  }

  /** Saves what is known of the coordinator at `url` (written atomically before it counts). */
  setCoordinator(url: string, coordinator: CoordinatorState): Promise<void> {
    this.state = { ...this.state, coordinators: { ...this.state.coordinators, [url]: coordinator } };
    return this.write();
  }

  private write(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(this.state));
  }
}
