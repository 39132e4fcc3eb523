/**
 * A frame: [u32 LE header length][u32 LE payload length][header: JSON, UTF-8][payload]. Every Uint8Array in the
 * message travels as raw bytes in the payload, its place in the header kept as {"$bytes":[offset,length]}. One format
 * for tensors wherever they go: the job-host pipe, the outbox files and the submit body (docs/protocol.md), so output
 * bytes are never base64-encoded or copied into JSON on their way from the run to the coordinator.
 */
import { CodedError } from './coded-error.js';

export const FRAME_CONTENT_TYPE = 'application/vnd.synor.frame';
const MAX = 2 ** 32 - 1;

type Ref = { $bytes: [number, number] };
const isRef = (v: unknown): v is Ref =>
  typeof v === 'object' && v !== null && '$bytes' in v && Array.isArray(v.$bytes) && v.$bytes.length === 2;

/** A frame cut short, or a header that is not JSON or points outside the payload. */
export class FrameError extends CodedError<'BAD_FRAME'> {
  override name = 'FrameError';
  constructor(message: string) {
    super('BAD_FRAME', message);
  }
}

/** The message's header with its bytes replaced by references, and those bytes in payload order. */
export function stripBytes(message: unknown): { header: unknown; blobs: Uint8Array[]; size: number } {
  const blobs: Uint8Array[] = [];
  let size = 0;
  // A walk, not a JSON.stringify replacer: stringify calls Buffer#toJSON (a number per byte) before any replacer.
  const strip = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      blobs.push(v);
      const ref: Ref = { $bytes: [size, v.byteLength] };
      size += v.byteLength;
      return ref;
    }
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const header = strip(message);
  if (size > MAX) throw new FrameError('message too large for one frame');
  return { header, blobs, size };
}

/** The frame's parts, to be written one after another: the payload's parts are the message's own bytes, not copies. */
export function frameParts(header: unknown, blobs: Uint8Array[], size: number): Uint8Array[] {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(8);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, head.byteLength, true);
  view.setUint32(4, blobs.length ? size : 0, true);
  return [prefix, head, ...blobs];
}

export function encodeFrame(message: unknown): Uint8Array[] {
  const { header, blobs, size } = stripBytes(message);
  return frameParts(header, blobs, size);
}

/** A message as a frame's parts, to be written one after another (a request or reply body), and their length. */
export class Frame {
  readonly parts: Uint8Array[];
  readonly size: number;
  constructor(message: unknown) {
    this.parts = encodeFrame(message);
    this.size = this.parts.reduce((n, part) => n + part.byteLength, 0);
  }
}

/** The header and payload lengths from a frame's first 8 bytes. */
export function frameLengths(prefix: Uint8Array): { head: number; payload: number } {
  if (prefix.byteLength < 8) throw new FrameError(`a frame starts with 8 bytes of lengths, got ${prefix.byteLength}`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  return { head: view.getUint32(0, true), payload: view.getUint32(4, true) };
}

export function parseHeader(head: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head));
  } catch {
    throw new FrameError('the frame header is not JSON');
  }
}

/** Puts the payload's bytes where the header kept their places (views into the payload, not copies). */
export function reviveBytes(v: unknown, payload: Uint8Array): unknown {
  if (isRef(v)) {
    const [at, length] = v.$bytes;
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(length) || at < 0 || length < 0 || at + length > payload.byteLength)
      throw new FrameError(`bytes at ${String(at)}+${String(length)} lie outside a payload of ${payload.byteLength}`);
    return payload.subarray(at, at + length);
  }
  if (Array.isArray(v)) return v.map((x) => reviveBytes(x, payload));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reviveBytes(x, payload)]));
  return v;
}

/** A whole frame held in one buffer (a file, a request body): its message, whose bytes are views into `frame`. */
export function decodeFrame(frame: Uint8Array): unknown {
  const { head, payload } = frameLengths(frame);
  if (frame.byteLength !== 8 + head + payload)
    throw new FrameError(`the frame is ${frame.byteLength} bytes, its lengths say ${8 + head + payload}`);
  return reviveBytes(parseHeader(frame.subarray(8, 8 + head)), frame.subarray(8 + head));
}
