import { basename, join } from 'node:path';
import type { EarningsBucket, EarningsQuery, EarningsSummary, Estimates, NetworkSettings, NetworkStatus } from '../../common/network.js';
import type { DeviceType } from '../../common/protocol.js';
import { availableFractionFrom, compareWithActual, estimateMonthly, hourlyUsd, projectMonthly } from '../economics/estimator.js';
import { predictEarnings } from '../economics/prediction.js';
import { formatSynor, reputationBp, uptimePpm } from '../economics/rewards.js';
import { latestStanding, measuredThroughput } from '../ledger/throughput.js';
import { earningsCsv } from '../ledger/earnings.js';
import { Ledger, type SetAsideReport } from '../ledger/ledger.js';
import { repairNetworkFiles } from './file-repair.js';
import { recordProblem } from '../ledger/trust.js';
import type { Clock, Logger } from '../ports.js';
import { createNetworkClient, type NetworkClient, type NetworkClientOptions, type NetworkEvent, type OwnerSigner } from './client.js';
import type { LinkMeter } from './link-meter.js';

/**
 * The network part as the agent uses it: one ledger and one client (the scheduler leases through it, see
 * scheduler-link.ts), earnings and estimates. The agent decides the coordinator URL (the embedded devnet when none is set).
 */
export interface NetworkServiceOptions {
  dataDir: string;
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
  /** The hardware benchmark's GFLOPS at full use, until this device's own tasks are measured. */
  benchmarkGflops: number;
}

export interface NetworkService {
  client: NetworkClient;
  ledger: Ledger;
  /** What opening the ledger found that the user should know, in plain words. */
  notices: readonly string[];
  /** Once the sums the start read from the index are recounted from the signed epochs: what to tell, if anything. */
  audited: Promise<string | null>;
  status(): NetworkStatus;
  subscribe(listener: (event: NetworkEvent) => void): () => void;
  earnings(query?: EarningsQuery): EarningsSummary;
  /** The whole ledger's total (`earnings().total`), cheap enough for every receipt. */
  total(): EarningsBucket;
  csv(query?: EarningsQuery): Promise<string>;
  estimates(input: EstimateInput): Estimates;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

const lines = (n: number): string => (n === 1 ? '1 line' : `${n} lines`);

function ledgerNotices({ report, file }: Ledger, setAside: SetAsideReport | null): string[] {
  const out: string[] = [];
  if (setAside) {
    out.push(
      `${lines(setAside.count)} of your earnings history did not check out (not signed by your network, for another device, or with amounts that do not follow the rates) and ${setAside.count === 1 ? 'is' : 'are'} not counted. Nothing else changed; ${setAside.count === 1 ? 'it was' : 'they were'} kept in ${setAside.keptIn}.`,
    );
  }
  if (report.problems.length) {
    out.push(
      `${lines(report.problems.length)} of your earnings history ${report.problems.length === 1 ? 'is' : 'are'} damaged and not counted; the file keeps ${report.problems.length === 1 ? 'it' : 'them'} as ${report.problems.length === 1 ? 'it is' : 'they are'}.`,
    );
  }
  if (report.replaced) {
    const { recordsBefore, recordsNow, indexKeptIn } = report.replaced;
    out.push(
      `Your earnings history file (${basename(file)}) was emptied or replaced: it holds ${recordsNow} of the ${recordsBefore} signed records it held, and the totals shown count only those. If you have a copy of that file from a backup, put it back while the app is closed. The earlier summary was kept in ${indexKeptIn}.`,
    );
  }
  if (report.tornTail)
    out.push(`The last earnings record was cut short (the app stopped while writing it); it was kept in ${report.tornTail.keptIn}.`);
  return out;
}

export async function startNetworkService(o: NetworkServiceOptions): Promise<NetworkService> {
  const ledger = await Ledger.open(join(o.dataDir, 'ledger.jsonl'), () => o.clock.now(), o.detailDays, o.logger);
  if (ledger.report.tornTail)
    o.logger.warn(
      `ledger: a torn last line (${ledger.report.tornTail.bytes} bytes) was cut off and kept in ${ledger.report.tornTail.keptIn}`,
    );
  const repaired = await repairNetworkFiles(o.dataDir, ledger.file, ledger.sums.newest().at(-1)?.deviceId, o.clock.now(), o.logger);
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
  const setAside = await ledger.verify(recordProblem(client.trust()), o.clock.now());
  for (const p of ledger.report.problems) o.logger.error(`ledger line ${p.line}: ${p.message}; the line is kept and skipped`);
  if (setAside)
    o.logger.warn(
      `ledger: ${setAside.count} line(s) failed their check and were moved to ${setAside.keptIn} (${setAside.reasons.join('; ')})`,
    );
  const notices = [...repaired, ...ledgerNotices(ledger, setAside)];
  const audited = ledger.auditIndex(o.clock.now()).then(
    (rebuilt) => {
      if (!rebuilt) return null;
      o.logger.warn(`ledger: the sums in ${ledger.file}.index did not match the ledger's lines; rebuilt from them`);
      return 'The saved summary of your earnings did not match your signed earnings history, so it was rebuilt from that history. The figures shown now come from the signed records; nothing is needed from you.';
    },
    (error: unknown) => {
      o.logger.error(`ledger: the index could not be checked against the ledger: ${String(error)}`);
      return null;
    },
  );
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
    notices,
    audited,
    status: () => client.status(),
    subscribe: (listener) => client.subscribe(listener),
    earnings: (query) => ledger.sums.summary(query),
    total: () => ledger.sums.total(),
    csv: (query) => earningsCsv({ detail: ledger.detail.lines(), epochs: ledger.records(), pending: ledger.sums.pendingResults() }, query),
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
        earnedSynor: Number(formatSynor(earnedWei)),
        usdPerSynor: input.settings.usdPerSynor,
        onlineHours,
        noWorkHours: noWorkMs / 3_600_000,
        devnet: client.status().devnet,
      });
      const standing = latestStanding(ledger.sums.newest(), client.deviceId);
      const prediction = predictEarnings({
        resource: input.device.kind === 'cpu' ? 'cpu' : 'gpu',
        throughput: measuredThroughput(ledger.sums.newest(), client.deviceId) ?? {
          flopsPerMs: input.benchmarkGflops * 1e6,
          source: 'benchmark',
        },
        share: input.sharePercent / 100,
        hoursPerDay: projection.hoursPerDay,
        ...standing,
        hourlyUsd: hourlyUsd(input.device),
      });
      return {
        hourlyUsd: hourlyUsd(input.device),
        seed: estimateMonthly(input.device, input.scheduledHoursPerDay),
        projection,
        actual: { days: input.days, earned: formatSynor(earnedWei), ...actual },
        synor: {
          perHour: formatSynor(BigInt(prediction.perHourWei)),
          perMonth: formatSynor(BigInt(prediction.perMonthWei)),
          impliedUsdPerSynor: prediction.impliedUsdPerSynor,
          assumptions: prediction.assumptions,
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
      await ledger.saveCheckpoint();
    },
  };
}
