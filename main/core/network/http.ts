import type { z } from 'zod';
import { isAllowedCoordinatorUrl } from '../../common/network.js';
import { ErrorReplySchema } from '../../common/protocol.js';
import { decodeFrame, Frame, FRAME_CONTENT_TYPE, FrameError } from '../../common/frame.js';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connectionWords } from '../../common/connection-words.js';
import { CodedError } from '../../common/coded-error.js';

/** Every way talking to a coordinator can fail, as a code the status line and the retry logic understand. */
export type NetworkErrorCode =
  | 'OFFLINE' // connection refused, reset, DNS: try again later
  | 'TIMEOUT' // no complete reply in time (also a reply that drips too slowly)
  | 'TOO_LARGE' // the reply is bigger than any valid one
  | 'BAD_REPLY' // not JSON, or not what the protocol says
  | 'SERVER' // 5xx or 429
  | 'UNREGISTERED' // the coordinator does not know this device's token
  | 'REJECTED' // a 4xx with the coordinator's reason: retrying the same request will not help
  | 'DEVICE_TAKEN' // a registration for a device id the coordinator holds for another owner
  | 'BAD_RECEIPT' // a receipt whose signature or numbers do not check out
  | 'INSECURE_URL' // http to a non-loopback host
  | 'COORDINATOR_CHANGED'; // the coordinator's signing key is not the one pinned for this URL

const RETRYABLE: ReadonlySet<NetworkErrorCode> = new Set(['OFFLINE', 'TIMEOUT', 'TOO_LARGE', 'BAD_REPLY', 'SERVER', 'BAD_RECEIPT']);

export class NetworkError extends CodedError<NetworkErrorCode> {
  override name = 'NetworkError';
  readonly retryable = RETRYABLE.has(this.code);
}

/** The coordinator URL as a base for relative paths; refused unless https (or http to this machine). */
export function checkCoordinatorUrl(raw: string): URL {
  if (!isAllowedCoordinatorUrl(raw)) {
    throw new NetworkError(
      'INSECURE_URL',
      `The coordinator URL must use https (plain http is allowed only for 127.0.0.1/localhost): ${raw}`,
    );
  }
  const url = new URL(raw);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

/** Exponential backoff with "equal jitter": half the step is fixed, half random, so many devices do not retry in step. */
export function backoffMs(attempt: number, random: () => number, baseMs = 500, maxMs = 60_000): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (step / 2) * random());
}

/** A request body sent as a frame: a result's tensors go as raw bytes, not base64 in JSON. */
export { Frame } from '../../common/frame.js';

export interface RequestOptions<T> {
  method: 'GET' | 'POST';
  /** JSON, or a Frame. */
  body?: unknown;
  token?: string | null;
  timeoutMs: number;
  maxBytes: number;
  /** The reply may be a frame (a lease's inputs as raw bytes, docs/protocol.md "Leases as frames"), asked for by `accept`. */
  frames?: boolean;
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Told of every completed exchange (any status): bytes each way and how long it took. */
  measured?: (e: { sentBytes: number; receivedBytes: number; ms: number }) => void;
}

/**
 * Connections are kept for the next call (a lease, a heartbeat, a submit every few hundred ms). Node's own client, not
 * fetch: posting a 4 MB result through fetch cost the agent ~6 ms of CPU, through http.request ~2 ms (fetch's web
 * streams copy and wake per chunk). Idle kept sockets do not hold the process open.
 */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * One exchange: the status, the body (at most `maxBytes` of it) and whether it is a frame; rejects with the request's error. A kept
 * connection the server closed meanwhile fails at once (ECONNRESET before any reply): that one is tried again, once,
 * on a new connection, as Node's documentation advises; the server never read the request.
 */
function exchange(
  url: URL,
  o: Pick<RequestOptions<unknown>, 'method' | 'maxBytes'>,
  headers: Record<string, string>,
  body: readonly (Uint8Array | string)[],
  signal: AbortSignal,
  retried = false,
): Promise<{ status: number; body: Buffer; frame: boolean }> {
  return new Promise((resolve, reject) => {
    const aborted = (): void => reject(signal.reason);
    const secure = url.protocol === 'https:';
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      { method: o.method, headers, agent: secure ? agents.https : agents.http, signal },
      (res) => {
        const tooLarge = (what: string): void => {
          req.destroy();
          reject(new NetworkError('TOO_LARGE', `The coordinator sent ${what}; at most ${o.maxBytes} are expected.`));
        };
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > o.maxBytes) return tooLarge(`${declared} bytes`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > o.maxBytes) tooLarge(`more than ${o.maxBytes} bytes`);
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks, size),
            frame: res.headers['content-type'] === FRAME_CONTENT_TYPE,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' && req.reusedSocket && !retried && !signal.aborted)
        resolve(exchange(url, o, headers, body, signal, true));
      else reject(error);
    });
    req.on('close', () => signal.removeEventListener('abort', aborted));
    // The signal settles it even where a body it cut off ends without an error.
    signal.addEventListener('abort', aborted, { once: true });
    for (const part of body) req.write(part);
    req.end();
  });
}

/** One request, one parsed reply or one NetworkError. Never retries: the callers decide. */
export async function requestJson<T>(url: URL, o: RequestOptions<T>): Promise<T> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const started = performance.now();
  const frame = o.body instanceof Frame ? o.body : undefined;
  const json = o.body === undefined || frame ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = {
    accept: o.frames ? `${FRAME_CONTENT_TYPE}, application/json` : 'application/json',
    ...(o.body === undefined ? {} : { 'content-type': frame ? FRAME_CONTENT_TYPE : 'application/json' }),
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
  };
  let reply: { status: number; body: Buffer; frame: boolean };
  try {
    // A frame's parts go to the socket as they are: the tensor bytes are not copied into one body first.
    reply = await exchange(url, o, headers, frame ? frame.parts : json === undefined ? [] : [json], signal);
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    if (o.signal?.aborted) throw o.signal.reason;
    if (timeout.aborted)
      throw new NetworkError('TIMEOUT', `No complete reply from ${url.host} within ${Math.round(o.timeoutMs / 1000)} s.`);
    // In words: the status line shows it, and "(ECONNREFUSED)" tells a user nothing.
    throw new NetworkError('OFFLINE', `Cannot reach ${url.host}: ${connectionWords(error)}.`);
  }
  o.measured?.({
    sentBytes: frame ? frame.size : json === undefined ? 0 : Buffer.byteLength(json),
    receivedBytes: reply.body.byteLength,
    ms: performance.now() - started,
  });
  const { status } = reply;
  // A frame only where one was asked for, and only as a 200: a refusal is JSON.
  const value = o.frames && reply.frame && status === 200 ? frameOf(reply.body, url) : jsonOf(reply.body);
  if (status !== 200) {
    const reason = ErrorReplySchema.safeParse(value);
    const said = reason.success ? `${reason.data.error.message} (${reason.data.error.code})` : `HTTP ${status}`;
    if (status === 401) throw new NetworkError('UNREGISTERED', `The coordinator does not know this device: ${said}`);
    if (status >= 500 || status === 429 || status === 408) throw new NetworkError('SERVER', `The coordinator had a problem: ${said}`);
    if (status === 409 && reason.success && reason.data.error.code === 'device-taken')
      throw new NetworkError('DEVICE_TAKEN', `The coordinator holds this device id for another owner: ${said}`);
    if (status >= 400 && status < 500 && reason.success) throw new NetworkError('REJECTED', `The coordinator refused: ${said}`);
    throw new NetworkError('BAD_REPLY', `The coordinator answered with an unexpected HTTP ${status}.`);
  }
  if (value === undefined) throw new NetworkError('BAD_REPLY', `The coordinator's reply to ${url.pathname} is not JSON.`);
  const parsed = o.schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NetworkError(
      'BAD_REPLY',
      `The coordinator's reply to ${url.pathname} is invalid at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A frame's message, its bytes views into `body` (no copy); a frame cut short or lying about its sizes is a bad reply. */
function frameOf(body: Buffer, url: URL): unknown {
  try {
    return decodeFrame(body);
  } catch (error) {
    // A header nested past the stack's depth overflows it while its bytes are put back: as damaged as any other.
    if (!(error instanceof FrameError) && !(error instanceof RangeError)) throw error;
    throw new NetworkError('BAD_REPLY', `The coordinator's reply to ${url.pathname} is a damaged frame: ${error.message}.`);
  }
}
