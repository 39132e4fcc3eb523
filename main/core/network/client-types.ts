import type { OwnerEpochsReply, RevokeReply, RevokeRequest, SignedDelegation } from '../../common/delegation.js';
import type { NetworkStatus } from '../../common/network.js';
import type {
  ComputeResource,
  DeviceInfo,
  Epoch,
  InfoReply,
  NoWorkReason,
  TypedDataDomain,
  TypedDataTypes,
} from '../../common/protocol.js';
import type { ReleaseReason, Task, TaskResult } from '../../common/task.js';
import type { ChainSettings, Voucher } from '../../common/wallet.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerTrust } from '../ledger/trust.js';
import type { Clock, Logger } from '../ports.js';
import type { LinkMeter } from './link-meter.js';

/**
 * The network client's contract: what it is built from, what it answers and what it tells. Apart from client.ts so
 * its parts (leasing, link, receipt sync, submitting) can name these types without importing the client back.
 */

/** What registration needs from the owner's wallet; an ethers `Wallet` satisfies it. */
export interface OwnerSigner {
  readonly address: string;
  signTypedData(domain: TypedDataDomain, types: TypedDataTypes, value: Record<string, unknown>): Promise<string>;
  /** A member's device key signing under the owner's delegation (docs/protocol.md, "Delegation"): whose earnings. */
  readonly owner?: string;
  /** That delegation, sent with every registration. */
  readonly delegation?: SignedDelegation;
}

/** The address the device's receipts name: the delegation's owner, else the signer's own. */
export const ownerOf = (signer: OwnerSigner): string => signer.owner ?? signer.address;

export interface NetworkClientOptions {
  /** The coordinator: https, or http on 127.0.0.1/localhost (the embedded devnet). */
  url: string;
  /** Holds the device id, tokens, receipt cursors and the outbox (under `network/`). */
  dataDir: string;
  signer: OwnerSigner;
  /** What the hardware probe found; the id, the owner and the measured link figures are added here. */
  device: Omit<DeviceInfo, 'deviceId' | 'owner' | 'network'>;
  /** Measures the link from the traffic (the runtime's model downloads too, when it shares the meter). */
  meter?: LinkMeter;
  ledger: Ledger;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  random?: () => number;
  /** Per request (the lease long-poll adds its wait on top). */
  requestTimeoutMs?: number;
  leaseWaitMs?: number;
  /** How often queued results and receipts are retried while all is well. */
  syncIntervalMs?: number;
  /** Backoff base and cap for retries after failures. */
  backoff?: { baseMs: number; maxMs: number };
  maxReplyBytes?: number;
  /** Finished results waiting to be sent past which no new task is leased: more would only pile up unsent. */
  maxBacklog?: number;
  /** At least this long between leases (20 ms: a busy device takes 50 a second at most); doubled (up to 30 s) for each lease in a row that ended with no result taken. */
  minLeaseIntervalMs?: number;
}

export type LeaseOutcome =
  { kind: 'task'; leaseId: string; task: Task } | { kind: 'none'; reason: NoWorkReason; message: string; retryAfterMs: number };

export type NetworkEvent =
  | { type: 'status'; status: NetworkStatus }
  | { type: 'leased'; leaseId: string; taskId: string }
  | { type: 'heartbeat'; leaseId: string; status: 'active' | 'gone' }
  /** The coordinator no longer wants this lease's result (expired or done elsewhere): stop working on it. */
  | { type: 'gone'; leaseId: string; taskId: string }
  /** A finished result is on disk (fsynced) and will be submitted until acknowledged. */
  | { type: 'queued'; taskId: string }
  | { type: 'submitted'; taskId: string; status: 'accepted' | 'duplicate' | 'too-late' }
  /** A signed epoch of receipts, checked and in the ledger. */
  | { type: 'epoch'; epoch: Epoch }
  | { type: 'problem'; message: string };

export interface PinnedCoordinator {
  coordinator: string;
  chainId: number;
  payout: ChainSettings | null;
}

export interface NetworkClient {
  readonly deviceId: string;
  /** The owner this computer earned for until this client took up another owner's device id; null when unchanged. */
  readonly ownerBefore: string | null;
  /** This device and every coordinator it pinned: what the ledger's lines are checked against. */
  trust(): LedgerTrust;
  readonly url: string;
  status(): NetworkStatus;
  subscribe(listener: (event: NetworkEvent) => void): () => void;
  /** Fetches the coordinator's info and registers the device (EIP-712 signed by the owner) when needed. */
  connect(): Promise<InfoReply>;
  /**
   * Long-polls for a task of `resource` (by default the kind this device registered as; the lease decides the pay).
   * The task's deadline is converted to this machine's clock. Throws NetworkError.
   */
  lease(signal?: AbortSignal, resource?: ComputeResource): Promise<LeaseOutcome>;
  /** Progress (0–1) sent with the next automatic heartbeat. */
  progress(leaseId: string, fraction: number): void;
  /**
   * Writes the result to disk (fsynced) before anything else, then submits it in the background. One the disk refuses
   * is held in memory (and leasing pauses); one that is not a valid result is given back with the reason.
   */
  complete(leaseId: string, result: TaskResult): Promise<void>;
  /** Gives a task back (policy pause, bad task, …). Best effort: an unreachable coordinator lets the lease expire. */
  release(leaseId: string, reason: ReleaseReason, message: string): Promise<void>;
  /** Submits queued results now; resolves to how many are still queued. Throws NetworkError when it cannot. */
  flush(): Promise<number>;
  /** Fetches new receipts, verifies each (signature, device, reward split) and appends it to the ledger. */
  syncReceipts(): Promise<number>;
  /** The coordinator's voucher for this device's unpaid receipts, to claim on chain; null when nothing is owed. */
  voucher(): Promise<Voucher | null>;
  /** The pinned coordinator key and chain id, and the payout chain its info names (connects first when needed). */
  pinned(): Promise<PinnedCoordinator>;
  /** The coordinator's clock now, as this device estimates it: what signed times are given in. */
  serverNow(): number;
  /** Another device of the same owner: its signed epochs after receipt `cursor` (a page), unchecked. */
  ownerEpochs(deviceId: string, cursor: number): Promise<OwnerEpochsReply>;
  /** Sends the owner's signed revocation of a member's delegation. */
  revoke(request: RevokeRequest): Promise<RevokeReply>;
  /** Runs flush + receipt sync in the background: on a timer while connected, with backoff while not. */
  start(): void;
  close(): Promise<void>;
}
