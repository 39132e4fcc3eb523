/**
 * What the owner of a fleet is told about its members, from one fleet view to the next: a machine offline for longer
 * than the user's limit, sharing but not earning for a while, too hot. Each once per episode and "back" when it ends.
 * Pure (the time is given), so the rules are tested with a fake clock.
 */
import type { FleetStatus, MemberView } from '../../common/fleet.js';
import { bucketWei } from '../../common/network.js';
import type { Settings } from '../../common/settings.js';
import type { Tell } from '../../common/state.js';

export type FleetAlertLimits = Settings['fleetAlerts'];

/** Cooler than the limit by this much before "back to normal", so a reading around the limit is not news each time. */
export const COOL_MARGIN_C = 5;

interface MachineMemory {
  offlineSince: number | null;
  offlineTold: boolean;
  /** Earned so far (confirmed + pending wei), to see whether it still grows; null until a report came. */
  earned: bigint | null;
  /** Since when it has been expected to earn without earning (from its last gain, or since it was expected to). */
  idleSince: number | null;
  idleTold: boolean;
  hotTold: boolean;
}

export type FleetAlertMemory = ReadonlyMap<string, MachineMemory>;

const fresh = (): MachineMemory => ({
  offlineSince: null,
  offlineTold: false,
  earned: null,
  idleSince: null,
  idleTold: false,
  hotTold: false,
});

/** "45 minutes", "1 hour", "2 hours 30 minutes": how long, for a sentence. */
export function duration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const part = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (hours === 0) return part(rest, 'minute');
  return rest === 0 ? part(hours, 'hour') : `${part(hours, 'hour')} ${part(rest, 'minute')}`;
}

const tell = (key: string, title: string, body: string): Tell => ({ kind: 'fleet', key: `fleet:${key}`, title, body });

function offline(peer: MemberView, m: MachineMemory, now: number, limitMs: number, out: Tell[]): MachineMemory {
  if (peer.state === 'online') {
    if (m.offlineTold && m.offlineSince !== null) {
      out.push(
        tell(`back:${peer.id}`, 'A machine is back', `“${peer.name}” answers again, after ${duration(now - m.offlineSince)} offline.`),
      );
    }
    return { ...m, offlineSince: null, offlineTold: false };
  }
  const since = m.offlineSince ?? now;
  if (!m.offlineTold && now - since >= limitMs) {
    out.push(
      tell(
        `offline:${peer.id}`,
        'A machine is offline',
        `“${peer.name}” has not answered for ${duration(now - since)}. ${peer.reason} The Fleet page shows when it was last seen.`,
      ),
    );
    return { ...m, offlineSince: since, offlineTold: true };
  }
  return { ...m, offlineSince: since };
}

function earning(peer: MemberView, m: MachineMemory, now: number, limitMs: number, out: Tell[]): MachineMemory {
  const report = peer.report;
  // Offline is its own news; the count starts again once it answers.
  if (peer.state !== 'online' || report === null) return { ...m, idleSince: null };
  const earned = report.total === null ? 0n : bucketWei(report.total);
  if (m.earned !== null && earned !== m.earned) {
    if (m.idleTold) out.push(tell(`earning:${peer.id}`, 'A machine earns again', `“${peer.name}” is earning again.`));
    return { ...m, earned, idleSince: now, idleTold: false };
  }
  // A pause (schedule, battery, heat) says why itself; only a machine that should be working is watched.
  const expected = report.sharing && (report.status.code === 'working' || report.status.code === 'waiting');
  if (!expected) return { ...m, earned, idleSince: null };
  const since = m.idleSince ?? now;
  if (!m.idleTold && now - since >= limitMs) {
    out.push(
      tell(
        `idle:${peer.id}`,
        'A machine shares but earns nothing',
        `“${peer.name}” has been sharing for ${duration(now - since)} without earning anything. It says: ${report.status.reason} Open it on the Fleet page to see more.`,
      ),
    );
    return { ...m, earned, idleSince: since, idleTold: true };
  }
  return { ...m, earned, idleSince: since };
}

function heat(peer: MemberView, m: MachineMemory, maxTempC: number, out: Tell[]): MachineMemory {
  const reading = peer.state === 'online' ? (peer.report?.temperatureC ?? null) : null;
  if (reading === null) return m;
  if (!m.hotTold && reading >= maxTempC) {
    out.push(
      tell(
        `hot:${peer.id}`,
        'A machine is too hot',
        `“${peer.name}” is at ${Math.round(reading)} °C, over the ${maxTempC} °C you set for fleet alerts. Check its fans and airflow; it pauses by itself at its own temperature limits.`,
      ),
    );
    return { ...m, hotTold: true };
  }
  if (m.hotTold && reading <= maxTempC - COOL_MARGIN_C) {
    out.push(tell(`cool:${peer.id}`, 'A machine cooled down', `“${peer.name}” is back to ${Math.round(reading)} °C.`));
    return { ...m, hotTold: false };
  }
  return m;
}

/**
 * The news between the last fleet view and this one. Only members are watched, and only while pairing is on here (with
 * it off nobody is asked, so nobody is offline); a revoked member is forgotten.
 */
export function fleetAlerts(
  status: Pick<FleetStatus, 'enabled' | 'peers'>,
  memory: FleetAlertMemory,
  now: number,
  limits: FleetAlertLimits,
): { tells: Tell[]; memory: FleetAlertMemory } {
  if (!status.enabled) return { tells: [], memory: new Map() };
  const tells: Tell[] = [];
  const next = new Map<string, MachineMemory>();
  for (const peer of status.peers) {
    if (peer.role !== 'member' || peer.state === 'revoked') continue;
    let m = memory.get(peer.id) ?? fresh();
    m = offline(peer, m, now, limits.offlineMinutes * 60_000, tells);
    m = earning(peer, m, now, limits.notEarningMinutes * 60_000, tells);
    m = heat(peer, m, limits.maxTempC, tells);
    next.set(peer.id, m);
  }
  return { tells, memory: next };
}
