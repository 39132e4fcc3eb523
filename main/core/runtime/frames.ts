/**
 * Framing for the agent ↔ job host pipe. Node's own IPC re-concatenates its buffer on every chunk of a large message
 * (a 4 MB tensor took ~0.5 s), so messages go over a plain pipe instead: [u32 header length][u32 payload length]
 * [JSON header][payload], where every Uint8Array in the message travels as raw bytes in the payload and the header
 * keeps its place as {"$bytes":[offset,length]}. The receiver puts bytes straight where they belong: the payload gets
 * a buffer of its own (from `alloc`, so a pool can recycle it), which it may transfer to a worker.
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

/**
 * Reassembles frames and hands each decoded message to `onMessage`. Feed it either way: push() stream chunks (one
 * copy each), or, where the socket reads into a given buffer (net.Socket `onread`), read into target() and call
 * advance(n); target() never spans two parts, so one read never crosses a frame.
 */
export class FrameReader {
  private readonly prefix = new Uint8Array(8);
  private head = new Uint8Array(0);
  private payload: Uint8Array = new Uint8Array(0);
  private part: 'prefix' | 'head' | 'payload' = 'prefix';
  private filled = 0;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n),
  ) {}

  target(): Uint8Array {
    return this.current().subarray(this.filled);
  }

  advance(n: number): void {
    this.filled += n;
    while (this.filled === this.current().length) this.next();
  }

  push(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      const into = this.target();
      const n = Math.min(into.length, chunk.length - at);
      into.set(chunk.subarray(at, at + n));
      at += n;
      this.advance(n);
    }
  }

  private current(): Uint8Array {
    return this.part === 'prefix' ? this.prefix : this.part === 'head' ? this.head : this.payload;
  }

  /** The current part is complete: start the next one (a frame's empty payload completes at once). */
  private next(): void {
    this.filled = 0;
    if (this.part === 'prefix') {
      const view = new DataView(this.prefix.buffer);
      this.head = new Uint8Array(view.getUint32(0, true));
      this.payload = this.alloc(view.getUint32(4, true));
      this.part = 'head';
    } else if (this.part === 'head') this.part = 'payload';
    else {
      const payload = this.payload;
      this.part = 'prefix';
      this.onMessage(
        JSON.parse(Buffer.from(this.head.buffer).toString('utf8'), (_k, v: unknown) =>
          isRef(v) ? payload.subarray(v.$bytes[0], v.$bytes[0] + v.$bytes[1]) : v,
        ),
      );
    }
  }
}

/**
 * Reuses large tensor buffers. Each new 4 MB ArrayBuffer is external memory to V8, and a few of them per task kept
 * both processes in back-to-back mark-compacts (~8 ms a task in the agent); steady work of one shape now allocates
 * no new tensor buffers (the base64 strings of tasks and results remain). Small buffers are not worth it.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 6) {}

  take(n: number): Uint8Array {
    if (n < 64 * 1024) return new Uint8Array(n);
    const i = this.free.findIndex((b) => b.byteLength >= n && b.byteLength <= 2 * n);
    return new Uint8Array(i < 0 ? new ArrayBuffer(n) : this.free.splice(i, 1)[0]!, 0, n);
  }

  /** Buffers no one reads any more (a transferred-away buffer has length 0 and is skipped). */
  give(buffers: Iterable<ArrayBuffer>): void {
    for (const b of buffers) if (b.byteLength >= 64 * 1024 && !this.free.includes(b)) this.free.push(b);
    this.free.splice(0, this.free.length - this.keep); // the oldest go
  }
}
