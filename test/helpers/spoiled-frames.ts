// Lease replies sent as frames (docs/protocol.md, "Leases as frames") spoiled the ways a hostile coordinator could:
// shared by the integration test and the reliability suite's case, which arm test/soak/hostile.ts with them.

/** The frame's header text and its payload. */
const partsOf = (frame: Buffer): { head: string; payload: Buffer } => {
  const length = frame.readUInt32LE(0);
  return { head: frame.subarray(8, 8 + length).toString('utf8'), payload: frame.subarray(8 + length) };
};

/** A frame of `head` and `payload` whose prefix says the payload is `declared` bytes. */
const framed = (head: string, payload: Buffer, declared = payload.length): Buffer => {
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(Buffer.byteLength(head), 0);
  prefix.writeUInt32LE(declared, 4);
  return Buffer.concat([prefix, Buffer.from(head), payload]);
};

/** Spoiled whole, the frame is a damaged reply: the lease fails with this code and nothing is held. */
export const DAMAGED_FRAMES: Record<string, { spoil: (frame: Buffer) => Buffer; code: string }> = {
  'a frame cut short': { spoil: (f) => f.subarray(0, f.length - 3), code: 'BAD_REPLY' },
  'a payload length that lies': {
    spoil: (f) => {
      const { head, payload } = partsOf(f);
      return framed(head, payload, payload.length + 4096);
    },
    code: 'BAD_REPLY',
  },
  'bytes outside the payload': {
    spoil: (f) => {
      const { head, payload } = partsOf(f);
      return framed(head, payload.subarray(0, 8));
    },
    code: 'BAD_REPLY',
  },
  'a header that is not JSON': {
    spoil: (f) => {
      const { head, payload } = partsOf(f);
      return framed(head.slice(0, -1), payload);
    },
    code: 'BAD_REPLY',
  },
  /** Past a client's 1 MiB limit for a lease reply (the tests set it so). */
  'a body over the limit': { spoil: (f) => Buffer.concat([f, Buffer.alloc(2 * 1024 * 1024)]), code: 'TOO_LARGE' },
};

/** Spoiled inside, the frame is whole and its input is not what it says: the task is given back as invalid. */
export const LYING_FRAMES: Record<string, { spoil: (frame: Buffer) => Buffer; says: RegExp }> = {
  'a wrong hash': {
    spoil: (f) => {
      const { head, payload } = partsOf(f);
      return framed(head.replace(/"sha256":"[0-9a-f]{64}","data"/, `"sha256":"${'0'.repeat(64)}","data"`), payload);
    },
    says: /hash to [0-9a-f]{64}, the task says 0{64}/,
  },
  'bytes that do not fit the shape': {
    spoil: (f) => {
      const { head, payload } = partsOf(f);
      return framed(
        head.replace(/"shape":\[(\d+),16\]/, (_, rows: string) => `"shape":[${Number(rows) + 1},16]`),
        payload,
      );
    },
    says: /needs \d+ bytes, got \d+/,
  },
};
