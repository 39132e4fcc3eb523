import type { EarningsBucket, EarningsQuery, EarningsSummary, LedgerCheck, NetworkEarnings } from '../../common/network.js';
import type { Receipt } from '../../common/protocol.js';
import type { WalletView } from '../../common/wallet.js';
import type { Clock, Logger } from '../ports.js';
import { openEarningsBook, type EarningsBook, type WalletClaims } from './earnings-book.js';
import { errorDetail } from '../../common/result.js';

/**
 * The user's earnings as the agent shows them, whatever the wallet's state: the earnings book opened at the start
 * (its first check in the background), the network in use and the figures of each network, recounted only when the
 * ledger or the claims changed (the state is published every tick).
 */
export interface EarningsAccessOptions {
  dataDir: string;
  detailDays: () => number;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** The claims on the wallet's chain, and which chain that is. */
  wallet: () => WalletView;
  onChange(): void;
  onNotice(message: string): void;
}

export interface EarningsAccess {
  /** The book, once open (its check may still run: the network service waits for that). */
  book(): Promise<EarningsBook>;
  /** The network in use is the one at `url` (learnt in the background; again when `url` is new or `again`). */
  locate(url: string, again?: boolean): void;
  /** The ledger changed: figures are counted again. */
  recount(): void;
  /** The network in use: what it confirmed and what is pending there; null until known. */
  earned(): EarningsBucket | null;
  networks(): NetworkEarnings[];
  checking(): LedgerCheck | null;
  earnings(query: EarningsQuery): EarningsSummary | null;
  csv(query: EarningsQuery): Promise<string> | null;
  receipts(limit: number): (Receipt & { devnet: boolean; coordinator: string })[] | null;
  /** Why `earnings` gives nothing, in plain words. */
  why(): string;
  close(): Promise<void>;
}

export function createEarningsAccess(o: EarningsAccessOptions): EarningsAccess {
  let book: EarningsBook | null = null;
  let failed = false;
  let current: string | null = null;
  let located: string | null = null;
  let earned: EarningsBucket | null = null;
  let networks: NetworkEarnings[] = [];
  /** The claims the figures were counted with (their hashes and states). */
  let claimsSeen = '';
  const opening = openEarningsBook({ ...o, changed: o.onChange, tell: o.onNotice });
  opening.then(
    (opened) => {
      book = opened;
      void opened.ready.then(
        () => {
          for (const notice of opened.notices()) o.onNotice(notice);
          recount();
          o.onChange();
        },
        (error: unknown) => fail(error),
      );
      void opened.audited.then((notice) => {
        if (!notice) return;
        o.onNotice(notice);
        recount();
      });
    },
    (error: unknown) => fail(error),
  );

  function fail(error: unknown): void {
    failed = true;
    o.logger.error(`ledger: the earnings history could not be opened: ${errorDetail(error)}`);
    o.onChange();
  }

  /** The claims shown for the wallet, when they are of the chain `network` pays on (its key ends with its chain id). */
  function claimsOn(network: string | null): { wallet: WalletClaims | null; seen: string } {
    const view = o.wallet();
    const { chain, wallet } = view;
    // A chain that rests (the embedded devnet's) keeps its id and the claims read last.
    const same = network !== null && chain.status !== 'error' && network.endsWith(`@${chain.chainId}`);
    const claims = same && wallet.state !== 'none' ? { address: wallet.address, claims: view.claims } : null;
    return {
      wallet: claims,
      seen: `${network}|${claims?.address}|${claims?.claims.map((c) => `${c.txHash}:${c.status}`).join(',') ?? '-'}`,
    };
  }

  /** Counts again when what the figures rest on changed: the network in use, or a claim made or confirmed. */
  function fresh(): void {
    if (claimsOn(current).seen !== claimsSeen) recount();
  }

  function recount(): void {
    if (!book || book.checking()) return;
    if (current) {
      const told = book.letGo(current);
      if (told) o.onNotice(told);
    }
    const { wallet, seen } = claimsOn(current);
    claimsSeen = seen;
    earned = current ? book.total(current) : null;
    networks = book.networks(current, wallet);
  }

  return {
    book: () => opening,
    locate(url, again = false) {
      if (url === located && !again) return;
      located = url;
      void opening
        .then((b) => b.locate(url))
        .then((key) => {
          if (located !== url || key === null) return;
          current = key;
          recount();
          o.onChange();
        }, fail);
    },
    recount,
    earned() {
      fresh();
      return earned;
    },
    networks() {
      fresh();
      return networks;
    },
    checking: () => book?.checking() ?? null,
    earnings: (query) => book?.earnings(query) ?? null,
    csv: (query) => book?.csv(query) ?? null,
    receipts: (limit) => book?.receipts(limit) ?? null,
    why() {
      if (failed) return 'Your earnings history could not be read; the details are in the log. Restart the app to try again.';
      const check = book?.checking();
      if (!check || check.totalBytes === 0) return 'Your earnings history is being opened; the figures appear in a moment.';
      const percent = Math.floor((100 * check.checkedBytes) / check.totalBytes);
      return `Your earnings history is being checked (${percent} % done); the figures appear when it is done.`;
    },
    async close() {
      await (await opening.catch(() => null))?.close();
    },
  };
}
