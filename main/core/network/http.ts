import type { z } from 'zod';
import { errorText } from '../../common/result.js';
import { isAllowedCoordinatorUrl } from '../../common/network.js';
import { ErrorReplySchema } from '../../common/protocol.js';
import { encodeFrame, FRAME_CONTENT_TYPE } from '../../common/frame.js';
import { bodyChunks } from './body.js';

/** Every way talking to a coordinator can fail, as a code the status line and the retry logic understand. */
export type NetworkErrorCode =
  | 'OFFLINE' // connection refused, reset, DNS: try again later
  | 'TIMEOUT' // no complete reply in time (also a reply that drips too slowly)
  | 'TOO_LARGE' // the reply is bigger than any valid one
  | 'BAD_REPLY' // not JSON, or not what the protocol says
  | 'SERVER' // 5xx or 429
  | 'UNREGISTERED' // the coordinator does not know this device's token
  | 'REJECTED' // a 4xx with the coordinator's reason: retrying the same request will not help
  | 'BAD_RECEIPT' // a receipt whose signature or numbers do not check out
  | 'INSECURE_URL' // http to a non-loopback host
  | 'COORDINATOR_CHANGED'; // the coordinator's signing key is not the one pinned for this URL

const RETRYABLE: ReadonlySet<NetworkErrorCode> = new Set(['OFFLINE', 'TIMEOUT', 'TOO_LARGE', 'BAD_REPLY', 'SERVER', 'BAD_RECEIPT']);

export class NetworkError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
    this.retryable = RETRYABLE.has(code);
  }
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

/** A request body sent as a frame (common/frame.ts): a result's tensors go as raw bytes, not base64 in JSON. */
export class Frame {
  readonly parts: Uint8Array[];
  readonly size: number;
  constructor(message: unknown) {
    this.parts = encodeFrame(message);
    this.size = this.parts.reduce((n, part) => n + part.byteLength, 0);
  }
}

export interface RequestOptions<T> {
  method: 'GET' | 'POST';
  /** JSON, or a Frame. */
  body?: unknown;
  token?: string | null;
  timeoutMs: number;
  maxBytes: number;
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Told of every completed exchange (any status): bytes each way and how long it took. */
  measured?: (e: { sentBytes: number; receivedBytes: number; ms: number }) => void;
}

async function readCapped(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new NetworkError('TOO_LARGE', `The coordinator sent ${declared} bytes; at most ${maxBytes} are expected.`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const value of bodyChunks(response.body, signal)) {
    size += value.length;
    if (size > maxBytes) {
      throw new NetworkError('TOO_LARGE', `The coordinator sent more than ${maxBytes} bytes; at most that many are expected.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function* iterate(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

const describe = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorText(error);
};

/** One request, one parsed reply or one NetworkError. Never retries: the callers decide. */
export async function requestJson<T>(url: URL, o: RequestOptions<T>): Promise<T> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let text: string;
  let status: number;
  const started = performance.now();
  const json = o.body === undefined || o.body instanceof Frame ? undefined : JSON.stringify(o.body);
  try {
    const response = await fetch(url, {
      method: o.method,
      headers: {
        accept: 'application/json',
        ...(o.body === undefined ? {} : { 'content-type': o.body instanceof Frame ? FRAME_CONTENT_TYPE : 'application/json' }),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      },
      // A frame's parts go to the socket as they are: the tensor bytes are not copied into one body first.
      ...(o.body instanceof Frame ? { body: iterate(o.body.parts), duplex: 'half' as const } : json === undefined ? {} : { body: json }),
      signal,
      redirect: 'error',
    });
    status = response.status;
    text = await readCapped(response, o.maxBytes, signal);
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    if (o.signal?.aborted) throw error;
    if (timeout.aborted)
      throw new NetworkError('TIMEOUT', `No complete reply from ${url.host} within ${Math.round(o.timeoutMs / 1000)} s.`);
    throw new NetworkError('OFFLINE', `Cannot reach ${url.host} (${describe(error)}).`);
  }
  o.measured?.({
    sentBytes: o.body instanceof Frame ? o.body.size : json === undefined ? 0 : Buffer.byteLength(json),
    receivedBytes: Buffer.byteLength(text),
    ms: performance.now() - started,
  });
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    reply = undefined;
  }
  if (status !== 200) {
    const reason = ErrorReplySchema.safeParse(reply);
    const said = reason.success ? `${reason.data.error.message} (${reason.data.error.code})` : `HTTP ${status}`;
    if (status === 401) throw new NetworkError('UNREGISTERED', `The coordinator does not know this device: ${said}`);
    if (status >= 500 || status === 429 || status === 408) throw new NetworkError('SERVER', `The coordinator had a problem: ${said}`);
    if (status >= 400 && status < 500 && reason.success) throw new NetworkError('REJECTED', `The coordinator refused: ${said}`);
    throw new NetworkError('BAD_REPLY', `The coordinator answered with an unexpected HTTP ${status}.`);
  }
  if (reply === undefined) throw new NetworkError('BAD_REPLY', `The coordinator's reply to ${url.pathname} is not JSON.`);
  const parsed = o.schema.safeParse(reply);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NetworkError(
      'BAD_REPLY',
      `The coordinator's reply to ${url.pathname} is invalid at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
