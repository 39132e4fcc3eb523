import { DEVNET_LABEL, type NetworkStatus } from '../../common/network.js';
import { refusalAdvice } from '../fs/disk-refusal.js';
import type { Clock } from '../ports.js';
import type { Leasing } from './leasing.js';
import type { CoordinatorLink } from './link.js';
import type { Submitting } from './submitting.js';

/** What the status line is read from: the client's parts as they stand now. */
export interface StatusParts {
  link: CoordinatorLink;
  leasing: Leasing;
  submitting: Submitting;
  clock: Pick<Clock, 'now'>;
}

/** The client's status line: the first of held results, a lasting error, offline, connecting, no work, connected. */
export function networkStatus({ link, leasing, submitting, clock }: StatusParts): NetworkStatus {
  const { info, lastError, retryAt, url } = link;
  const queued = submitting.queued;
  const label = link.devnet ? DEVNET_LABEL : (info?.network.label ?? url);
  const common = { url, devnet: link.devnet, label, queued, activeLeases: leasing.active, retryAt };
  const results = `${queued} result${queued === 1 ? '' : 's'} queued`;
  const held = submitting.heldBecause();
  if (held) {
    const kept = submitting.held();
    const message = `New work is paused: ${held.message}. ${kept.words} ${kept.count === 1 ? 'is' : 'are'} kept in memory (results are still sent). ${refusalAdvice(held)}`;
    return { ...common, code: 'error', message };
  }
  if (lastError && !lastError.retryable) return { ...common, code: 'error', message: lastError.message };
  if (lastError) {
    const wait = retryAt === null ? '' : ` — retrying in ${Math.max(1, Math.round((retryAt - clock.now()) / 1000))} s`;
    return { ...common, code: 'offline', message: `Offline${queued ? `, ${results}` : ''}${wait} (${lastError.message})` };
  }
  if (!info) return { ...common, code: 'connecting', message: `Connecting to ${url}` };
  if (leasing.noWork && leasing.active === 0) {
    return { ...common, code: 'no-work', message: `No work available — ${leasing.noWork.message}` };
  }
  return { ...common, code: 'connected', message: `Connected to ${label}${queued ? `, ${results}` : ''}` };
}

/**
 * Tells the status only when it changed; an offline line counts as unchanged while only its countdown moves, so
 * listeners are not told once a second.
 */
export function statusPublisher(parts: StatusParts, tell: (status: NetworkStatus) => void): () => void {
  let last = '';
  return () => {
    const current = networkStatus(parts);
    const key = JSON.stringify({ ...current, message: current.code === 'offline' ? parts.link.lastError?.message : current.message });
    if (key === last) return;
    last = key;
    tell(current);
  };
}
