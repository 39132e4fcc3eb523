import type { HardwareSnapshot } from '../common/hardware.js';
import type { Settings } from '../common/settings.js';
import { shortAddress } from '../common/wallet.js';
import type { EarningsMeter } from './economics/meter.js';
import { ownerOf, type OwnerSigner } from './network/client-types.js';
import { deviceInfo } from './network/device-info.js';
import type { EarningsAccess } from './network/earnings-access.js';
import type { LinkMeter } from './network/link-meter.js';
import { linkScheduler } from './network/scheduler-link.js';
import { startNetworkService, type NetworkService } from './network/service.js';
import type { Clock, Logger } from './ports.js';
import { supportedBackends } from './runtime/providers.js';
import type { Runtime } from './runtime/runtime.js';
import { deviceLanes } from './scheduler/lanes.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import type { WalletController } from './wallet/controller.js';

/** The scheduler joined to one network for one signer: what contribution.ts runs while it earns. */
export interface Connected {
  url: string | null;
  service: NetworkService;
  scheduler: Scheduler;
  /** The device registered with the network (lanes.ts). */
  registered: string;
  /** GPUs left out, and why. */
  notices: string[];
  /** The chain setting the wallet's chain was last chosen with (JSON), for a network of its own. */
  chain?: string;
  /** Whose earnings: the wallet's address, or the owner of the delegation in use (`delegation`, its signature). */
  owner: string;
  delegation: string | null;
}

/** What joining a network is built from, for as long as the agent runs. */
export interface ConnectParts {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  settings(): Settings;
  utcOffsetMinutes(): number;
  runtime: Runtime;
  meter: LinkMeter;
  measure: EarningsMeter;
  earnings: EarningsAccess;
  wallet: Pick<WalletController, 'refresh'>;
  onChange(): void;
  onNotice(message: string): void;
}

/** One join: the network set (null for the embedded devnet), where its coordinator answers, the machine, the signer. */
export interface Join {
  url: string | null;
  coordinatorUrl: string;
  snapshot: HardwareSnapshot;
  signer: OwnerSigner;
  /** The signature of the owner's delegation the signer earns under; null for the wallet's own key. */
  delegation: string | null;
}

/** Starts the network service and a scheduler on this machine's lanes, and wires their events to the agent. */
export async function connectNetwork(p: ConnectParts, join: Join): Promise<Connected> {
  const { clock, logger } = p;
  const { lanes, notices } = await deviceLanes(join.snapshot, process.platform, supportedBackends);
  const registered = lanes.find((lane) => lane.kind === 'gpu')?.id ?? 'cpu';
  const service = await startNetworkService({
    dataDir: p.dataDir,
    url: join.coordinatorUrl,
    book: await p.earnings.book(),
    detailDays: () => p.settings().receiptDetailDays,
    signer: join.signer,
    device: deviceInfo(join.snapshot, p.settings(), p.utcOffsetMinutes(), registered),
    meter: p.meter,
    clock,
    logger,
  });
  const { ownerBefore } = service.client;
  if (ownerBefore) {
    p.onNotice(
      `This computer now earns for ${shortAddress(ownerOf(join.signer))}. What it earned for ${shortAddress(ownerBefore)} before stays with that address: to claim it, import that wallet again.`,
    );
  }
  const link = linkScheduler(service.client, logger);
  const scheduler = createScheduler({ runtime: p.runtime, devices: lanes, source: link.source, sink: link.sink, clock, logger });
  // A task whose lease the coordinator gave to someone else is not worth finishing.
  link.onGone((taskId) => scheduler.cancel(taskId));
  scheduler.onChange(p.onChange);
  service.subscribe((event) => {
    if (event.type === 'epoch' || event.type === 'submitted') p.earnings.recount();
    if (event.type === 'epoch' && event.epoch.deviceId === service.client.deviceId) p.measure.paid(event.epoch);
    if (event.type === 'problem') p.onNotice(event.message);
    // New receipts change what the wallet may claim.
    if (event.type === 'epoch') void p.wallet.refresh();
    p.onChange();
  });
  return { url: join.url, service, scheduler, registered, notices, owner: ownerOf(join.signer), delegation: join.delegation };
}

/**
 * Runs `then` once, when the client's own first contact has registered the device (which must not be raced): the
 * status is connected, or connected with no work.
 */
export function onceRegistered(service: NetworkService, then: () => void): void {
  let asked = false;
  const ask = (): void => {
    if (asked || !['connected', 'no-work'].includes(service.status().code)) return;
    asked = true;
    off();
    then();
  };
  const off = service.subscribe(ask);
  ask();
}
