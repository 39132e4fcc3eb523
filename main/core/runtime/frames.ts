/**
 * Framing for the agent ↔ job host pipe. Node's own IPC re-concatenates its buffer on every chunk of a large message
 * (a 4 MB tensor took ~0.5 s), so messages go over a plain pipe instead: [u32 header length][u32 payload length]
 * [JSON header][payload], where every Uint8Array in the message travels as raw bytes in the payload and the header
 * keeps its place as {"$bytes":[offset,length]}. Each frame is copied once, into a fresh buffer the receiver may
 * transfer to a worker.
 */

const MAX = 2 ** 32 - 1;
type Ref = { $bytes: [number, number] };
const isRef = (v: unknown): v is Ref =>
  typeof v === 'object' && v !== null && '$bytes' in v && Array.isArray(v.$bytes) && v.$bytes.length === 2;

export function encodeFrame(message: unknown): Uint8Array[] {
  const blobs: Uint8Array[] = [];
  let at = 0;
  // A walk, not a JSON.stringify replacer: stringify calls Buffer#toJSON (a number per byte) before any replacer.
  const strip = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      blobs.push(v);
      const ref: Ref = { $bytes: [at, v.byteLength] };
      at += v.byteLength;
      return ref;
    }
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const json = JSON.stringify(strip(message));
  const head = Buffer.from(json, 'utf8');
  if (at > MAX) throw new Error('message too large for one frame');
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(head.length, 0);
  prefix.writeUInt32LE(at, 4);
  return [prefix, head, ...blobs];
}

/** Reassembles frames from stream chunks and hands each decoded message to `onMessage`. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private have = 0;
  private head = -1;
  private payload = 0;

  constructor(private readonly onMessage: (message: unknown) => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (this.head < 0) {
        if (this.have < 8) return;
        const prefix = Buffer.from(this.take(8).buffer);
        this.head = prefix.readUInt32LE(0);
        this.payload = prefix.readUInt32LE(4);
      }
      if (this.have < this.head + this.payload) return;
      const json = Buffer.from(this.take(this.head).buffer).toString('utf8');
      const payload = this.take(this.payload);
      this.head = -1;
      this.onMessage(JSON.parse(json, (_k, v: unknown) => (isRef(v) ? payload.subarray(v.$bytes[0], v.$bytes[0] + v.$bytes[1]) : v)));
    }
  }

  /** The next n bytes, copied into their own buffer. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const use = Math.min(c.length, n - at);
      out.set(c.subarray(0, use), at);
      at += use;
      if (use === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(use);
    }
    this.have -= n;
    return out;
  }
}
