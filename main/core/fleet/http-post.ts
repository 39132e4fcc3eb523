import { Agent, request, type IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { FleetWireErrorSchema, type FleetWireCode } from '../../common/fleet.js';
import { fail, ok, type Result } from '../../common/result.js';

/**
 * The asking side of the direct path: a JSON POST to a peer's fleet port, its answer read up to a cap and parsed.
 * node:http on one kept-alive connection per peer rather than fetch: the scale bench's profile of a viewer asking 50
 * members every 5 s was mostly fetch's own work (a Request, a Response and a resource-timing entry per call) and a
 * new TCP connection per member per poll.
 */

/** A peer on the same network answers in milliseconds; a poll of a machine that went away must not hang the view. */
const SEND_TIMEOUT_MS = 4_000;
/**
 * An idle connection to a peer is kept this long, so the Fleet page's poll (every 5 s) reuses it. Below the peer's
 * own keep-alive (KEPT_ALIVE_MS in http-transport.ts), so the asking side closes first and never reuses a connection
 * the peer is closing.
 */
export const IDLE_CLIENT_MS = 20_000;

const agent = new Agent({ keepAlive: true, timeout: IDLE_CLIENT_MS, scheduling: 'lifo' });

/** `host:port` as its parts; an IPv6 host in brackets. */
function hostPort(address: string): { hostname: string; port: number } | undefined {
  try {
    const url = new URL(`http://${address}`);
    if (url.port === '' || url.pathname !== '/' || url.search !== '') return undefined;
    return { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
  } catch {
    return undefined;
  }
}

type Answer = { status: number; text: string | undefined };

/** The answer's body, or undefined past `maxBytes` (the connection is then closed, the rest never read). */
const readCapped = (response: IncomingMessage, maxBytes: number): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        resolve(undefined);
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });

/** One exchange; rejects when the peer cannot be reached or does not answer in time. */
function exchange(to: { hostname: string; port: number }, path: string, body: string, maxBytes: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      ...to,
      path,
      method: 'POST',
      agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    // One deadline for the whole exchange (a plain timer: an AbortSignal per request cost more than the request).
    const deadline = setTimeout(() => req.destroy(new Error('no answer in time')), SEND_TIMEOUT_MS);
    const settle = (answer: Promise<Answer>): void => {
      clearTimeout(deadline);
      answer.then(resolve, reject);
    };
    req.on('response', (response: IncomingMessage) => {
      readCapped(response, maxBytes).then(
        (text) => settle(Promise.resolve({ status: response.statusCode ?? 0, text })),
        (error: unknown) => settle(Promise.reject(error)),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept connection the peer closed as this request went out (it restarted): one new connection is tried.
      settle(req.reusedSocket && error.code === 'ECONNRESET' ? exchange(to, path, body, maxBytes) : Promise.reject(error));
    });
    req.end(body);
  });
}

export async function post<T>(
  address: string,
  path: string,
  body: unknown,
  schema: z.ZodType<T>,
  maxBytes: number,
): Promise<Result<T, FleetWireCode>> {
  const to = hostPort(address);
  if (to === undefined) return fail('UNREACHABLE', `"${address}" is not an address: write it as host:port, e.g. 192.168.1.20:7434.`);
  let answer: Answer;
  try {
    answer = await exchange(to, path, JSON.stringify(body), maxBytes);
  } catch {
    return fail(
      'UNREACHABLE',
      `The machine at ${address} did not answer. Check that it is on, on this network, with fleet pairing turned on.`,
    );
  }
  if (answer.text === undefined) return fail('BAD_REPLY', `The machine at ${address} answered with too much data.`);
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    json = undefined;
  }
  const notSynor = fail('BAD_REPLY', `Something at ${address} answered, but not a Synor machine.`);
  if (answer.status !== 200) {
    const error = FleetWireErrorSchema.safeParse(json);
    return error.success ? { ok: false, error: error.data } : notSynor;
  }
  const value = schema.safeParse(json);
  return value.success ? ok(value.data) : notSynor;
}
