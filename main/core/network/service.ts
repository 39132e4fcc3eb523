import { exactAmount } from '../../common/money.js';
import type { Estimates, NetworkSettings, NetworkStatus } from '../../common/network.js';
import type { DeviceType } from '../../common/protocol.js';
import { availableFractionFrom, compareWithActual, estimateMonthly, hourlyUsd, projectMonthly } from '../economics/estimator.js';
import { estimateEarnings } from '../economics/prediction.js';
import type { MeterWindow } from '../economics/meter.js';
import { reputationBp, uptimePpm } from '../economics/rewards.js';
import { latestStanding } from '../ledger/throughput.js';
import type { Ledger } from '../ledger/ledger.js';
import { openEarningsBook, type EarningsBook } from './earnings-book.js';
import type { Clock, Logger } from '../ports.js';
import { createNetworkClient, type NetworkClient, type NetworkClientOptions, type NetworkEvent, type OwnerSigner } from './client.js';
import type { LinkMeter } from './link-meter.js';

/**
 * The network part as the agent uses it: one ledger and one client (the scheduler leases through it, see
 * scheduler-link.ts), earnings and estimates. The agent decides the coordinator URL (the embedded devnet when none is set).
 */
export interface NetworkServiceOptions {
  dataDir: string;
  /** The earnings history, opened before a wallet could sign (kept open by its owner); opened here when left out. */
  book?: EarningsBook;
  url: string;
  /** Whole days of per-task receipts kept (read at each new day). */
  detailDays: () => number;
  signer: OwnerSigner;
  device: NetworkClientOptions['device'];
  /** Shared with the runtime, whose model downloads it measures too. */
  meter?: LinkMeter;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
}

export interface EstimateInput {
  device: DeviceType;
  scheduledHoursPerDay: number;
  sharePercent: number;
  powerWatts: number;
  settings: NetworkSettings;
  /** The period compared with what was earned, ending now. */
  days: number;
  /** The time this device shared at the share in force and what its epochs paid: what the estimate measures. */
  meter: MeterWindow;
}

export interface NetworkService {
  client: NetworkClient;
  ledger: Ledger;
  /** The earnings history: its figures and what it tells the user are read there (earnings-access.ts). */
  book: EarningsBook;
  status(): NetworkStatus;
  subscribe(listener: (event: NetworkEvent) => void): () => void;
  estimates(input: EstimateInput): Estimates;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startNetworkService(o: NetworkServiceOptions): Promise<NetworkService> {
  const book = o.book ?? (await openEarningsBook(o));
  // The client appends to the ledger: after its check, which a locked wallet does not hold up (the book runs it).
  await book.ready;
  const { ledger } = book;
  const client = await createNetworkClient({
    url: o.url,
    dataDir: o.dataDir,
    signer: o.signer,
    device: o.device,
    ledger,
    clock: o.clock,
    logger: o.logger,
    ...(o.meter ? { meter: o.meter } : {}),
  });
  client.start();

  // Time without work, for explaining the difference between projection and earnings.
  let noWorkMs = 0;
  let noWorkSince: number | null = null;
  client.subscribe((e) => {
    if (e.type !== 'status') return;
    const now = o.clock.now();
    if (noWorkSince !== null) noWorkMs += now - noWorkSince;
    noWorkSince = e.status.code === 'no-work' ? now : null;
  });

  return {
    client,
    ledger,
    book,
    status: () => client.status(),
    subscribe: (listener) => client.subscribe(listener),
    estimates(input) {
      const now = o.clock.now();
      // Availability receipts are the coordinator's own measure of time online: over the last week, the share of the
      // scheduled hours this device was really there (in place of the half-time assumption once there is a day of it).
      const week = ledger.sums.since(now - 7 * DAY_MS);
      const historyHours = week.firstOnlineAt === null ? 0 : (now - week.firstOnlineAt) / 3_600_000;
      const availableFraction = availableFractionFrom(week.onlineHours, input.scheduledHoursPerDay, historyHours);
      const projection = projectMonthly({ ...input, availableFraction, tariffPerKwh: input.settings.tariffPerKwh });
      const fromMs = now - input.days * DAY_MS;
      const { earnedWei, onlineHours } = ledger.sums.since(fromMs);
      const actual = compareWithActual({
        projection,
        days: input.days,
        // A float only for the dollar figure beside it; the amount itself goes out in wei.
        earnedSynor: Number(exactAmount(earnedWei)),
        usdPerSynor: input.settings.usdPerSynor,
        onlineHours,
        noWorkHours: noWorkMs / 3_600_000,
        devnet: client.status().devnet,
      });
      const standing = latestStanding(ledger.sums.newest(), client.deviceId);
      const prediction = estimateEarnings({
        meter: input.meter,
        now,
        hoursPerDay: projection.hoursPerDay,
        ...standing,
      });
      return {
        hourlyUsd: hourlyUsd(input.device),
        seed: estimateMonthly(input.device, input.scheduledHoursPerDay),
        projection,
        actual: { days: input.days, earnedWei: String(earnedWei), ...actual },
        synor: {
          ...prediction,
          resource: input.device.kind === 'cpu' ? 'cpu' : 'gpu',
          hoursPerDay: projection.hoursPerDay,
          standing: {
            ...standing,
            reputationFactor: Number(reputationBp(standing.reputation)) / 10_000,
            uptimeFactor: Number(uptimePpm(standing.uptimeBp)) / 1_000_000,
          },
        },
      };
    },
    async close() {
      await client.close();
      if (o.book) await ledger.saveCheckpoint();
      else await book.close();
    },
  };
}
