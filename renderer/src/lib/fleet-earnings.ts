/**
 * The fleet's combined earnings, from what each member reports (its last days, per local day): per day over all
 * machines, per machine over those days, and the same rows as CSV. Sums in wei, so the tables, the CSV and the
 * totals agree to the wei. Pure, so it is tested without a page.
 */
import { exactAmount } from '../../../main/common/money.js';
import type { MemberView } from '../../../main/common/fleet.js';

export interface Earned {
  confirmed: bigint;
  pending: bigint;
}

export interface FleetEarnings {
  /** Newest day first. */
  byDay: ({ day: string } & Earned)[];
  byMachine: ({ id: string; name: string } & Earned)[];
  total: Earned;
  /** One row per machine and day it earned on. */
  rows: ({ day: string; id: string; name: string } & Earned)[];
}

const add = (a: Earned, b: Earned): Earned => ({ confirmed: a.confirmed + b.confirmed, pending: a.pending + b.pending });
const ZERO: Earned = { confirmed: 0n, pending: 0n };

/** Members that answered with their days; the others (offline, or too old to report days) are left out. */
export function fleetEarnings(peers: readonly MemberView[]): FleetEarnings {
  const rows = peers.flatMap((peer) =>
    peer.role === 'member' && peer.state === 'online'
      ? (peer.report?.days ?? []).map((bucket) => ({
          day: bucket.key,
          id: peer.id,
          name: peer.name,
          confirmed: BigInt(bucket.confirmedWei),
          pending: BigInt(bucket.pendingWei),
        }))
      : [],
  );
  const days = new Map<string, Earned>();
  const machines = new Map<string, { id: string; name: string } & Earned>();
  for (const row of rows) {
    days.set(row.day, add(days.get(row.day) ?? ZERO, row));
    const machine = machines.get(row.id) ?? { id: row.id, name: row.name, ...ZERO };
    machines.set(row.id, { ...machine, ...add(machine, row) });
  }
  return {
    byDay: [...days].map(([day, earned]) => ({ day, ...earned })).sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0)),
    byMachine: [...machines.values()],
    total: rows.reduce<Earned>(add, ZERO),
    rows: rows.sort((a, b) => (a.day === b.day ? a.name.localeCompare(b.name) : a.day < b.day ? -1 : 1)),
  };
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (a machine's name may). */
const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** Every row, with amounts as exact decimals of SYNOR and in wei (a spreadsheet adds the wei without rounding). */
export function fleetEarningsCsv(earnings: FleetEarnings): string {
  const header = 'date,machine,machine_id,confirmed_synor,pending_synor,confirmed_wei,pending_wei';
  const lines = earnings.rows.map((row) =>
    [row.day, field(row.name), row.id, exactAmount(row.confirmed), exactAmount(row.pending), row.confirmed, row.pending].join(','),
  );
  return `${[header, ...lines].join('\n')}\n`;
}
