import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { verifyTypedData, Wallet } from 'ethers';
import { z } from 'zod';
import type { DelegatedRegisterRequest } from '../common/delegation.js';
import { SerialQueue } from '../common/serial.js';
import { DeviceInfoSchema, eip712Domain, REGISTRATION_TYPES, type DeviceInfo } from '../common/protocol.js';
import type { Clock, Logger } from '../core/ports.js';
import { CLOCK_WINDOW_MS, DelegatedSchema, DelegationBook, type Delegated } from './delegations.js';
import { HttpError, parse } from './http-util.js';
import { readKept, writeKeepingPrevious } from './kept-file.js';
import { newStanding, recordOnline, StandingSchema, type Standing } from './standing.js';
import { newTrust, TrustSchema, type Trust } from './verification.js';

export interface Device {
  info: DeviceInfo;
  tokenHash: string;
  standing: Standing;
  registeredAt: number;
  /** The signed time of its last registration: a later one must be newer (no replays). */
  lastRegistrationAt: number;
  lastSeen: number;
  onlineMs: number;
  paidOnlineMs: number;
  /** Bytes served to and received from it that no receipt paid yet: paid once per epoch. */
  unpaidBytes: number;
  /** The models (sha256) whose download it was paid for: a model is paid once per device, however often fetched. */
  paidModels: string[];
  /** Its record with the verification policy: how often it is checked, and whether it is shut out. */
  trust: Trust;
  nextSeq: number;
  /** The owner's delegation it registered under (signed by a member's device key, not the owner's); none: the owner's own. */
  delegation?: Delegated | undefined;
}

const StateSchema = z.object({
  key: z.string().regex(/^0x[0-9a-f]{64}$/),
  devices: z.record(
    z.string(),
    z.object({
      info: DeviceInfoSchema,
      tokenHash: z.string(),
      // Devices saved by a v1 devnet have neither: they start a fresh standing.
      standing: StandingSchema.default(newStanding),
      registeredAt: z.number(),
      lastRegistrationAt: z.number().default(0),
      onlineMs: z.number(),
      paidOnlineMs: z.number(),
      unpaidBytes: z.number().default(0),
      // Devices saved before the verification policy: checked as new devices, every model paid once more.
      paidModels: z.array(z.string()).default(() => []),
      trust: TrustSchema.default(newTrust),
      nextSeq: z.number(),
      delegation: DelegatedSchema.optional(),
    }),
  ),
});

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The devnet's signing key and the devices registered with it, kept in its state file (null: in memory only):
 * registration with its checks, and the device token on every later request, with online time counted from it.
 */
/**
 * The saved key and devices; a damaged file is set aside and its previous version used, one change behind (receipt
 * numbers stay right: receipt-issuer.ts counts from the receipt log). With no readable version the devnet must not
 * start: a new key could not sign for what the old one owes, nor be paid by the payout contract made for it.
 */
async function readState(file: string, now: number, logger: Logger | undefined): Promise<z.infer<typeof StateSchema> | null> {
  const read = await readKept(file, StateSchema, now);
  if (!read.damaged) return read.value;
  if (!read.value) {
    throw new Error(
      `The local devnet's state file was damaged and has no readable earlier version; it was kept as ${read.damaged.keptAs}. ` +
        'Put a backup of it back, or remove the devnet folder to start a new local devnet (its earnings are test rewards).',
    );
  }
  logger?.warn(
    `The devnet's state file was damaged; it was kept as ${read.damaged.keptAs}, and the version before its last change is used.`,
  );
  return read.value;
}

export class DeviceRegistry {
  readonly devices: Map<string, Device>;

  private readonly saves = new SerialQueue();

  private constructor(
    private readonly stateFile: string | null,
    readonly wallet: Wallet,
    devices: Map<string, Device>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly chainId: number,
    /** Contacts closer together than this count as continuous presence (a long-poll plus margin). */
    private readonly presenceGapMs: number,
    /** The owners' delegations and revocations: whose member keys may register, and until when. */
    readonly delegations: DelegationBook,
  ) {
    this.devices = devices;
  }

  static async open(o: {
    stateFile: string | null;
    clock: Pick<Clock, 'now'>;
    chainId: number;
    presenceGapMs: number;
    logger?: Logger | undefined;
  }): Promise<DeviceRegistry> {
    const saved = o.stateFile ? await readState(o.stateFile, o.clock.now(), o.logger) : null;
    const wallet = new Wallet(saved?.key ?? Wallet.createRandom().privateKey);
    const delegations = await DelegationBook.open({
      file: o.stateFile ? join(dirname(o.stateFile), 'delegations.json') : null,
      chainId: o.chainId,
      now: () => o.clock.now(),
      logger: o.logger,
    });
    const devices = new Map<string, Device>(Object.entries(saved?.devices ?? {}).map(([id, d]) => [id, { ...d, lastSeen: 0 }]));
    const registry = new DeviceRegistry(o.stateFile, wallet, devices, o.clock, o.chainId, o.presenceGapMs, delegations);
    if (!saved) await registry.save();
    return registry;
  }

  /** One save at a time (keeping the previous version is two steps), each writing the devices as they are then. */
  save(): Promise<void> {
    const file = this.stateFile;
    if (!file) return Promise.resolve();
    return this.saves.run(() => {
      const state: z.infer<typeof StateSchema> = {
        key: this.wallet.privateKey,
        devices: Object.fromEntries([...this.devices].map(([id, { lastSeen: _, ...d }]) => [id, d])),
      };
      return writeKeepingPrevious(file, JSON.stringify(state));
    });
  }

  /** The device a request's token belongs to; its online time grows with each contact. */
  authenticate(req: IncomingMessage): [string, Device] {
    const token = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '')?.[1];
    const hash = token ? sha256(token) : '';
    for (const [id, device] of this.devices) {
      if (device.tokenHash === hash) {
        const now = this.clock.now();
        if (device.lastSeen && now - device.lastSeen <= this.presenceGapMs) {
          device.onlineMs += now - device.lastSeen;
          device.standing = recordOnline(device.standing, now - device.lastSeen, now);
        }
        device.lastSeen = now;
        return [id, device];
      }
    }
    throw new HttpError(401, 'unregistered', 'Unknown device token: register this device first.');
  }

  /**
   * Registers a device from a signed registration (docs/protocol.md, "Register"): signed by the owner it names, or by
   * a member's device key with the owner's delegation for it ("Delegation"); for this coordinator, recently, newer
   * than its last, for a device id no other owner holds. Its standing, record with the checks (so registering again
   * lifts no pause), online time and receipt numbering are kept; the new token replaces the old one.
   */
  async register({ registration, signature, delegation }: DelegatedRegisterRequest): Promise<{ token: string; device: Device }> {
    const now = this.clock.now();
    let signer = '';
    try {
      signer = verifyTypedData(eip712Domain(this.chainId), REGISTRATION_TYPES, registration, signature);
    } catch {
      // falls through to the mismatch below
    }
    const delegated = delegation ? this.delegations.accept(delegation, signer, registration) : undefined;
    if (!delegated && signer.toLowerCase() !== registration.owner.toLowerCase()) {
      throw new HttpError(403, 'bad-signature', 'The registration is not signed by the owner address it names.');
    }
    if (registration.coordinator.toLowerCase() !== this.wallet.address.toLowerCase()) {
      throw new HttpError(403, 'wrong-coordinator', 'The registration was signed for another coordinator.');
    }
    if (Math.abs(registration.issuedAt - now) > CLOCK_WINDOW_MS) {
      throw new HttpError(400, 'stale', 'The registration was signed more than 10 minutes from the coordinator time.');
    }
    let info: DeviceInfo;
    try {
      info = parse(DeviceInfoSchema, JSON.parse(registration.info));
    } catch (error) {
      throw error instanceof HttpError ? error : new HttpError(400, 'bad-request', 'The signed device info is not JSON.');
    }
    if (info.deviceId !== registration.deviceId || info.owner.toLowerCase() !== registration.owner.toLowerCase()) {
      throw new HttpError(400, 'bad-request', 'The signed device info names another device or owner.');
    }
    const existing = this.devices.get(info.deviceId);
    if (existing && existing.info.owner.toLowerCase() !== info.owner.toLowerCase()) {
      throw new HttpError(409, 'device-taken', 'This device id is registered to another owner.');
    }
    if (existing && registration.issuedAt <= existing.lastRegistrationAt) {
      throw new HttpError(409, 'replayed', 'This registration is not newer than the device’s last one; sign a new one.');
    }
    const token = randomBytes(32).toString('hex');
    const renewed = { info, tokenHash: sha256(token), lastRegistrationAt: registration.issuedAt, lastSeen: now, delegation: delegated };
    // Updated in place: a result in flight holds this record across its check, and a copy would fork its receipt
    // numbering (two receipts with one number make the epoch unverifiable), its record with the checks and standing.
    const device: Device = existing
      ? Object.assign(existing, renewed)
      : {
          ...renewed,
          standing: newStanding(),
          registeredAt: now,
          onlineMs: 0,
          paidOnlineMs: 0,
          unpaidBytes: 0,
          paidModels: [],
          trust: newTrust(),
          nextSeq: 1,
        };
    this.devices.set(info.deviceId, device);
    await this.save();
    return { token, device };
  }

  /** Why the device may take no new work (the delegation it registered under ended), in plain words; else null. */
  delegationEnded(device: Device): string | null {
    return device.delegation ? this.delegations.ended(device.delegation) : null;
  }
}
