import { basename, join } from 'node:path';
import type { EarningsBucket, EarningsQuery, EarningsSummary, LedgerCheck, NetworkEarnings } from '../../common/network.js';
import { InfoReplySchema, ROUTES, type Receipt } from '../../common/protocol.js';
import type { ClaimRecord } from '../../common/wallet.js';
import { earningsCsv } from '../ledger/earnings.js';
import { Ledger, type SetAsideReport } from '../ledger/ledger.js';
import { networkKey } from '../ledger/source.js';
import { recordProblem } from '../ledger/trust.js';
import type { Clock, Logger } from '../ports.js';
import { deviceIdsFor, deviceIdsOf, pinsOf, readClientFile, type ClientState } from './client-file.js';
import { repairNetworkFiles } from './file-repair.js';
import { checkCoordinatorUrl, requestJson } from './http.js';

/**
 * The earnings history as the user reads it, with or without a wallet to sign with: the ledger, checked against the
 * coordinators' public keys this device pinned (client.json), so it needs no key. The first check of a long history
 * (a week of epochs: ~30 s) runs in the background, telling how far it got; figures are given once it is done. Figures
 * are kept per network (a coordinator and its chain): only the network in use can pay, so the others are shown apart.
 */
export interface EarningsBookOptions {
  dataDir: string;
  /** Whole days of per-task receipts kept (read at each new day). */
  detailDays: () => number;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** The check moved on, or ended. */
  changed?: () => void;
  /** Something found after the start that the user should know, in plain words (the start's own: `notices`). */
  tell?: (message: string) => void;
}

/** The wallet in use and its claims on the current network's chain. */
export interface WalletClaims {
  address: string;
  claims: readonly ClaimRecord[];
}

export interface EarningsBook {
  ledger: Ledger;
  /** Resolves once every line is checked and counted; appending waits for it. */
  ready: Promise<void>;
  /** How far the check is, while it runs; null once done. */
  checking(): LedgerCheck | null;
  /** What opening the history found that the user should know, in plain words (complete once `ready`). */
  notices(): readonly string[];
  /** Once the sums the start read from the index are recounted from the signed epochs: what to tell, if anything. */
  audited: Promise<string | null>;
  /** Null while the check runs. */
  earnings(query?: EarningsQuery): EarningsSummary | null;
  /** One network's total (every network's when left out), cheap enough for every receipt; null while the check runs. */
  total(network?: string): EarningsBucket | null;
  csv(query?: EarningsQuery): Promise<string> | null;
  /** The newest `limit` receipts, newest first; null while the check runs. */
  receipts(limit: number): (Receipt & { devnet: boolean; coordinator: string })[] | null;
  /**
   * Each network earned on, the current one first. `wallet`: its address and the claims the current network's chain
   * shows for it (null when they cannot be read), which with the ledger give what is left to claim there.
   */
  networks(current: string | null, wallet: WalletClaims | null): NetworkEarnings[];
  /**
   * Gives up, with one sentence to tell, the pending results of networks other than `current` that have waited
   * PENDING_GRACE_MS; null when there are none.
   */
  letGo(current: string): string | null;
  /** The network (`networkKey`) a coordinator URL leads to: as pinned, or as it says now; null when it cannot be asked. */
  locate(url: string): Promise<string | null>;
  close(): Promise<void>;
}

/** How long the results of a network no longer in use are shown as pending: a day, far beyond any epoch's close. */
export const PENDING_GRACE_MS = 86_400_000;

const INFO_REQUEST = { method: 'GET', timeoutMs: 10_000, maxBytes: 64 * 1024, schema: InfoReplySchema } as const;

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
  if (report.repeated) {
    const n = report.repeated;
    out.push(
      `${n === 1 ? '1 repeated line' : `${n} repeated lines`} in your earnings history ${n === 1 ? 'was' : 'were'} counted once; nothing was lost and nothing is needed from you.`,
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

/** Opens the ledger and starts its check in the background (the network files it is checked against are repaired first). */
export async function openEarningsBook(o: EarningsBookOptions): Promise<EarningsBook> {
  const ledger = await Ledger.open(
    join(o.dataDir, 'ledger.jsonl'),
    () => o.clock.now(),
    o.detailDays,
    o.logger,
    (count, file) =>
      o.tell?.(
        `${lines(count)} of the per-task detail of your earnings (${basename(file)}, kept for proofs and the CSV export) ${count === 1 ? 'is' : 'are'} damaged and left out of them. Your earnings are not affected; the file keeps ${count === 1 ? 'that line' : 'those lines'} as ${count === 1 ? 'it is' : 'they are'}.`,
      ),
  );
  if (ledger.report.tornTail)
    o.logger.warn(
      `ledger: a torn last line (${ledger.report.tornTail.bytes} bytes) was cut off and kept in ${ledger.report.tornTail.keptIn}`,
    );
  const clientFile = join(o.dataDir, 'network', 'client.json');
  /** client.json as last read: which device ids are whose. */
  let identities: ClientState | undefined;
  let progress: LedgerCheck | null = { checkedBytes: 0, totalBytes: 0 };
  const notices: string[] = [];
  const ready = (async () => {
    notices.push(...(await repairNetworkFiles(o.dataDir, ledger.file, ledger.sums.newest().at(-1)?.deviceId, o.clock.now(), o.logger)));
    const state = await readClientFile(clientFile);
    identities = state;
    const trust = state ? { deviceIds: deviceIdsOf(state), coordinators: pinsOf(state) } : { deviceIds: [], coordinators: [] };
    const setAside = await ledger.verify(recordProblem(trust), o.clock.now(), (checkedBytes, totalBytes) => {
      progress = { checkedBytes, totalBytes };
      o.changed?.();
    });
    progress = null;
    for (const p of ledger.report.problems) o.logger.error(`ledger line ${p.line}: ${p.message}; the line is kept and skipped`);
    if (ledger.report.repeated) o.logger.warn(`ledger: ${ledger.report.repeated} line(s) repeat an earlier epoch; each counted once`);
    if (setAside)
      o.logger.warn(
        `ledger: ${setAside.count} line(s) failed their check and were moved to ${setAside.keptIn} (${setAside.reasons.join('; ')})`,
      );
    notices.push(...ledgerNotices(ledger, setAside));
    o.changed?.();
  })();
  // A history whose check failed has nothing to audit: that failure is told where `ready` is awaited, and a rejected
  // `audited` no one waits on would end the process (an unhandled rejection).
  const audited = ready.then(
    () => audit(ledger, o),
    () => null,
  );
  const done = (): boolean => progress === null;
  return {
    ledger,
    ready,
    audited,
    checking: () => progress,
    notices: () => notices,
    earnings: (query) => (done() ? ledger.sums.summary(query) : null),
    total: (network) => (done() ? ledger.sums.total(network) : null),
    csv: (query) =>
      done()
        ? earningsCsv({ detail: ledger.detail.lines(), epochs: ledger.records(), pending: ledger.sums.pendingResults() }, query)
        : null,
    receipts: (limit) => (done() ? ledger.sums.newest().slice(-limit).reverse() : null),
    networks: (current, wallet) =>
      done() ? networksOf(ledger, current, wallet && { ...wallet, devices: deviceIdsFor(identities, wallet.address) }) : [],
    letGo(current) {
      const gone = ledger.sums.giveUpPending((network) => network === current, o.clock.now() - PENDING_GRACE_MS);
      if (gone.length === 0) return null;
      const urls = [...new Set(gone.map((p) => p.url))].join(', ');
      o.logger.warn(`ledger: ${gone.length} pending result(s) of ${urls} given up: that network is no longer in use`);
      return `${gone.length === 1 ? '1 result' : `${gone.length} results`} sent to the network at ${urls} a day ago or more ${gone.length === 1 ? 'was' : 'were'} never confirmed, and that network is no longer the one in use, so ${gone.length === 1 ? 'it is' : 'they are'} no longer counted as waiting. If you set that network again, whatever it confirms is still added to your earnings.`;
    },
    async locate(url) {
      const state = await readClientFile(clientFile).catch(() => undefined);
      identities = state ?? identities;
      const pinned = state?.coordinators[url];
      if (pinned) return networkKey(pinned);
      const info = await Promise.resolve()
        .then(() => requestJson(new URL(ROUTES.info, checkCoordinatorUrl(url)), INFO_REQUEST))
        .catch(() => null);
      return info ? networkKey(info) : null;
    },
    async close() {
      await ready.catch(() => undefined);
      await ledger.saveCheckpoint();
    },
  };
}

async function audit(ledger: Ledger, o: EarningsBookOptions): Promise<string | null> {
  try {
    if (!(await ledger.auditIndex(o.clock.now()))) return null;
  } catch (error) {
    o.logger.error(`ledger: the index could not be checked against the ledger: ${String(error)}`);
    return null;
  }
  o.logger.warn(`ledger: the sums in ${ledger.file}.index did not match the ledger's lines; rebuilt from them`);
  return 'The saved summary of your earnings did not match your signed earnings history, so it was rebuilt from that history. The figures shown now come from the signed records; nothing is needed from you.';
}

function networksOf(
  ledger: Ledger,
  current: string | null,
  wallet: (WalletClaims & { devices: ReadonlySet<string> }) | null,
): NetworkEarnings[] {
  const known = ledger.sums.networks();
  return [...known]
    .sort(([a], [b]) => Number(b === current) - Number(a === current))
    .map(([key, { url, devnet, coordinator }]) => {
      const t = ledger.sums.networkTotal(key);
      return {
        key,
        coordinator,
        url,
        devnet,
        current: key === current,
        confirmedWei: String(t.confirmedWei),
        pendingWei: String(t.pendingWei),
        receipts: t.receipts,
        pendingTasks: t.pendingTasks,
        unclaimedWei: key === current && wallet ? String(unclaimed(ledger, key, wallet.claims, wallet.devices)) : null,
      };
    });
}

/**
 * What the wallet's device ids on this machine (`devices`: one per owner, so the ledger's epochs of another wallet
 * are not counted) earned on `network`, less what its claims paid for them (never below zero). The wallet's claims
 * for its other computers are not counted either.
 */
function unclaimed(ledger: Ledger, network: string, claims: readonly ClaimRecord[], devices: ReadonlySet<string>): bigint {
  let earned = 0n;
  ledger.sums.eachSlot({ network }, (series, _start, slot) => {
    if (devices.has(series.deviceId)) earned += slot.wei;
  });
  let paid = 0n;
  for (const claim of claims) {
    if (claim.status !== 'confirmed') continue;
    for (const range of claim.ranges) if (devices.has(range.deviceId)) paid += BigInt(range.amount);
  }
  return earned > paid ? earned - paid : 0n;
}
