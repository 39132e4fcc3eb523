/**
 * One streamed GET for a model or an input: the reply's body is read chunk by chunk, so a caller that awaits each
 * chunk's write holds the socket (TCP backpressure) and keeps no more than a chunk in memory. Node's fetch did not:
 * a 2 GB download grew the agent by 2 GB, kept after it ended. Not http.ts's coordinator client, which collects a
 * small reply whole and keeps connections: a download's connection is its own, never a kept one checked for someone else.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress, NotPublicError, publicLookup } from './public-address.js';

export interface DownloadOptions {
  /** Asks for the bytes from this offset on (HTTP Range), to resume a partial download. */
  from: number;
  /** Ends the request, or the body being read, with its reason. */
  signal: AbortSignal;
  /** Connects only to public addresses (public-address.ts): checked before connecting, to the address connected. */
  publicOnly: boolean;
}

/** Opens the download: resolves with the reply (body unread) or rejects, with a NotPublicError before any connection. */
export function openDownload(url: URL, o: DownloadOptions): Promise<IncomingMessage> {
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An address in the URL is not looked up, so it is checked here.
  if (o.publicOnly && isIP(literal) !== 0 && !isPublicAddress(literal)) return Promise.reject(new NotPublicError(literal, [literal]));
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      headers: o.from > 0 ? { range: `bytes=${o.from}-` } : {},
      signal: o.signal,
      // A connection of its own (no kept socket from an earlier, differently checked download).
      agent: false,
      ...(o.publicOnly ? { lookup: publicLookup } : {}),
    });
    req.on('response', resolve);
    req.on('error', (error) => reject(o.signal.aborted ? o.signal.reason : error));
    req.end();
  });
}

/** When a download is given up: after `stallMs` with no data, or once it runs past `baseMs` plus its size at `minBytesPerSec`. */
export interface DownloadLimits {
  stallMs: number;
  /** However it trickles, it ends: a stall timer alone lets a server sending 1 byte/s keep a task waiting forever. */
  deadline: { baseMs: number; minBytesPerSec: number };
}
export const DOWNLOAD_LIMITS: DownloadLimits = { stallMs: 30_000, deadline: { baseMs: 60_000, minBytesPerSec: 128 * 1024 } };

/**
 * The limits' timers for one try at `bytes` more bytes: `signal` ends it (or `wanted` does), `alive()` is called per
 * chunk received, `end()` once it is over. Time counts only while this process runs (`now`: a monotonic clock in ms):
 * a job host stopped while its user needs the computer (SIGSTOP) must not find its download given up the moment it
 * continues, so a gap of more than two ticks between ticks counts as two.
 */
export function downloadTimers(
  bytes: number,
  { stallMs, deadline }: DownloadLimits,
  wanted?: AbortSignal,
  now: () => number = () => performance.now(),
): { signal: AbortSignal; alive(): void; end(): void } {
  const timers = new AbortController();
  const totalMs = deadline.baseMs + Math.ceil((bytes / deadline.minBytesPerSec) * 1000);
  const tick = Math.max(10, Math.min(1000, stallMs / 10, totalMs / 10));
  let last = now();
  let ran = 0;
  let quiet = 0;
  const ticker = setInterval(() => {
    const at = now();
    const step = Math.min(at - last, 2 * tick);
    last = at;
    ran += step;
    quiet += step;
    if (quiet >= stallMs) timers.abort(new Error(`no data for ${seconds(stallMs)}`));
    else if (ran >= totalMs) timers.abort(new Error(`not done within ${seconds(totalMs)}`));
  }, tick);
  return {
    signal: wanted ? AbortSignal.any([timers.signal, wanted]) : timers.signal,
    alive: () => (quiet = 0),
    end: () => clearInterval(ticker),
  };
}

const seconds = (ms: number): string => `${ms / 1000} s`;
