import type { z } from 'zod';
import {
  eip712Domain,
  InfoReplySchema,
  REGISTRATION_TYPES,
  RegisterReplySchema,
  ROUTES,
  type DeviceInfo,
  type InfoReply,
  type Registration,
} from '../../common/protocol.js';
import { errorText } from '../../common/result.js';
import { SerialQueue, coalesced } from '../../common/serial.js';
import type { LinkMeter } from './link-meter.js';
import type { Clock, Logger } from '../ports.js';
import type { ClientFile, CoordinatorState } from './client-file.js';
import { NetworkError, requestJson } from './http.js';
import { ownerOf, type NetworkClientOptions } from './client-types.js';

const MIB = 1024 * 1024;

export interface LinkOptions {
  /** The coordinator URL, checked (checkCoordinatorUrl). */
  base: URL;
  file: ClientFile;
  signer: NetworkClientOptions['signer'];
  device: NetworkClientOptions['device'];
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  requestTimeoutMs: number;
  maxReplyBytes: number;
  /** Measures the link from this traffic; its figures go out with each registration. */
  meter: LinkMeter;
  /** Called when what the status shows may have changed (connected, failed, recovered). */
  changed: () => void;
}

/**
 * The conversation with one coordinator: requests with the device token, the clock offset, the first contact that
 * pins its key and registers the device (again, once, when it forgot it), and the last failure for the status line.
 */
export class CoordinatorLink {
  readonly base: URL;
  readonly url: string;
  /** The coordinator's info from the last contact; null before the first. */
  info: InfoReply | null = null;
  /** The last request that failed, cleared by the next that succeeds. */
  lastError: NetworkError | null = null;
  /** When the background sync tries again (clock ms), while it backs off. */
  retryAt: number | null = null;
  private offsetMs = 0; // coordinator clock − ours
  /** Counts registrations: a request refused with the token a newer registration replaced is just sent again. */
  private generation = 0;
  /** Whether this run's registration already carried measured link figures (else one more, once they are known). */
  private toldLink = false;
  // Registrations go one after another, each signed after the one before was saved: two calls finding the device
  // forgotten at once would otherwise sign the same time, and the second would be refused as a replay.
  private readonly registrations = new SerialQueue();
  // One at a time: two first contacts at once (background sync, a lease, a voucher) registered twice with the same
  // signed time, and the coordinator refused the second as a replay.
  readonly connect = coalesced(() => this.connectNow());

  constructor(private readonly o: LinkOptions) {
    this.base = o.base;
    this.url = o.base.href;
  }

  get pinned(): CoordinatorState | undefined {
    return this.o.file.coordinator(this.url);
  }

  get devnet(): boolean {
    return this.info?.network.devnet ?? false;
  }

  /** Coordinator time now, from the offset measured on the last exchange. */
  serverNow(): number {
    return Math.round(this.o.clock.now() + this.offsetMs);
  }

  /** A coordinator time (a task's deadline) on this machine's clock. */
  toLocal(at: number): number {
    return Math.round(at - this.offsetMs);
  }

  /** Shows a network failure in the status, then passes it on. */
  failed(error: unknown): never {
    this.noteFailure(error);
    throw error;
  }

  /** Shows a network failure in the status (best-effort calls that do not throw it on). */
  noteFailure(error: unknown, { keepRetry = false } = {}): void {
    if (!(error instanceof NetworkError)) return;
    this.lastError = error;
    if (!keepRetry) this.retryAt = null;
    this.o.changed();
  }

  async call<T>(
    path: string,
    schema: z.ZodType<T & { serverTime: number }>,
    method: 'GET' | 'POST',
    body?: unknown,
    extra?: { timeoutMs?: number; signal?: AbortSignal; frames?: boolean },
  ): Promise<T> {
    const sent = this.o.clock.now();
    const reply = await requestJson(new URL(path, this.base), {
      method,
      body,
      token: this.pinned?.token ?? null,
      timeoutMs: extra?.timeoutMs ?? this.o.requestTimeoutMs,
      maxBytes: path === ROUTES.lease ? this.o.maxReplyBytes : Math.min(this.o.maxReplyBytes, 4 * MIB),
      schema,
      ...(extra?.signal ? { signal: extra.signal } : {}),
      ...(extra?.frames ? { frames: true } : {}),
      measured: (e) => this.o.meter.record({ ...e, waited: path === ROUTES.lease }),
    });
    // Skew from the midpoint of the exchange; a long-poll's midpoint is unknown, so it does not count.
    if (path !== ROUTES.lease) this.offsetMs = reply.serverTime - (sent + this.o.clock.now()) / 2;
    if (this.lastError) {
      this.lastError = null;
      this.retryAt = null;
      this.o.changed();
    }
    return reply;
  }

  /** Runs a device-authenticated call, registering again once if the coordinator forgot this device. */
  async authed<T>(run: () => Promise<T>): Promise<T> {
    if (!this.info || !this.pinned?.token) await this.connect();
    const generation = this.generation;
    let result: T;
    try {
      result = await run();
    } catch (error) {
      if (!(error instanceof NetworkError) || error.code !== 'UNREGISTERED' || !this.info) throw error;
      // Sent with a token a registration meanwhile replaced: the new one is already there.
      if (generation === this.generation) await this.registerInTurn(this.info);
      return run();
    }
    this.tellLink();
    return result;
  }

  /**
   * Registers once more in this run when the link's figures became known after the registration went out without
   * them (a fresh install registers before its first download), so the coordinator has them (docs/protocol.md).
   */
  private tellLink(): void {
    const { info } = this;
    if (this.toldLink || !info) return; // after every request: the medians only while they may still be needed
    const link = this.o.meter.capabilities();
    if (link.downloadMbps === 0 || link.edgeLatencyMs === 0) return;
    this.toldLink = true;
    this.registerInTurn(info).catch((error: unknown) =>
      this.o.logger.warn(`network: the measured link figures were not sent: ${errorText(error)}`),
    );
  }

  private async connectNow(): Promise<InfoReply> {
    try {
      const reply = await this.call(ROUTES.info, InfoReplySchema, 'GET');
      const pinned = this.pinned;
      if (pinned && (pinned.coordinator.toLowerCase() !== reply.coordinator.toLowerCase() || pinned.chainId !== reply.chainId)) {
        throw new NetworkError(
          'COORDINATOR_CHANGED',
          `The coordinator at ${this.url} now signs with ${reply.coordinator} (chain ${reply.chainId}), not ${pinned.coordinator} (chain ${pinned.chainId}) as before; its receipts are not trusted. Choose another coordinator URL in Settings.`,
        );
      }
      this.info = reply;
      if (!pinned?.token) await this.registerInTurn(reply);
      this.o.changed();
      return reply;
    } catch (error) {
      return this.failed(error);
    }
  }

  private registerInTurn(reply: InfoReply): Promise<void> {
    return this.registrations.run(() =>
      this.register(reply).catch(async (error: unknown) => {
        if (!(error instanceof NetworkError) || error.code !== 'DEVICE_TAKEN') throw error;
        // The id was another owner's before this file said whose it is (ClientFile.useOwner): a new one for this owner.
        const taken = this.o.file.deviceId;
        await this.o.file.release();
        this.o.logger.warn(`network: device ${taken} is another owner's at ${this.url}; registering as ${this.o.file.deviceId}`);
        await this.register(reply);
      }),
    );
  }

  private async register(reply: InfoReply): Promise<void> {
    const { deviceId } = this.o.file;
    const { signer } = this.o;
    const owner = ownerOf(signer);
    const network = this.o.meter.capabilities();
    const device: DeviceInfo = { deviceId, owner, ...this.o.device, network };
    // Bound to this coordinator, and later than any registration before it (the coordinator refuses replays).
    const issuedAt = Math.max(this.serverNow(), (this.pinned?.registeredAt ?? 0) + 1);
    const registration: Registration = { deviceId, owner, coordinator: reply.coordinator, info: JSON.stringify(device), issuedAt };
    const signature = await signer.signTypedData(eip712Domain(reply.chainId), REGISTRATION_TYPES, registration);
    // A member's device key signs; the owner's delegation for it says whose device this is.
    const delegation = signer.delegation ? { delegation: signer.delegation } : {};
    const registered = await this.call(ROUTES.register, RegisterReplySchema, 'POST', { registration, signature, ...delegation });
    await this.o.file.setCoordinator(this.url, {
      coordinator: reply.coordinator,
      chainId: reply.chainId,
      token: registered.deviceToken,
      cursor: this.pinned?.cursor ?? 0,
      registeredAt: issuedAt,
    });
    this.generation++;
    this.toldLink ||= network.downloadMbps > 0 && network.edgeLatencyMs > 0;
    this.o.logger.info(`registered device ${deviceId} for ${owner} with ${this.url}`);
  }
}
