import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fail, type Failure } from '../../common/result.js';

export const HOST = '127.0.0.1';

/** What opens the door now: the token (a rotation changes it) and the port the agent listens on (known once listening). */
export interface DoorKeys {
  token: string;
  port: number;
}

/** Ready to open: the token rides in the fragment, which browsers never send to a server or a Referer. */
export const linkFor = (port: number, token: string): string => `http://${HOST}:${port}/#token=${token}`;

/** Headers the checks read: each must come once at most, since Node keeps only the first of two Hosts. */
const SINGLE = ['host', 'origin', 'authorization'];

export function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function repeated(req: IncomingMessage): boolean {
  const names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
  return SINGLE.some((name) => names.indexOf(name) !== names.lastIndexOf(name));
}

/**
 * Why a request may not come in at all, before its token is looked at, or null. `port` is the one the agent listens
 * on.
 */
export function refusedAtDoor(req: IncomingMessage, port: number): Failure | null {
  if (repeated(req)) {
    return fail('BAD_REQUEST', 'The request carries the Host, Origin or Authorization header more than once; send each once.').error;
  }
  // DNS rebinding: a hostile page can point its own name at 127.0.0.1, but cannot change the Host header it sends.
  const { host, origin } = req.headers;
  const hostAllowed = host === `${HOST}:${port}` || host === `localhost:${port}`;
  // CSRF and cross-site WebSocket hijacking: browsers always say where a request comes from.
  const originAllowed = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
  return hostAllowed && originAllowed ? null : fail('FORBIDDEN', 'This address or origin is not allowed to reach the agent.').error;
}

/** Why a POST with a bearer token may not go on, or null. */
export function refusedPost(req: IncomingMessage, token: string): Failure | null {
  if (req.method !== 'POST') return fail('BAD_REQUEST', 'Use POST.').error;
  const bearer = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
  if (!sameToken(bearer, token)) return fail('UNAUTHORIZED', 'Missing or wrong token: open the link the agent printed at start.').error;
  return null;
}
