// A client written from docs/protocol.md alone: nothing from main/ is imported, only Node, ethers, zod and onnxruntime.
// Its schemas are the doc's field lists (strict, so a field the coordinator sends and the doc does not list fails), its
// Merkle tree and proof are the doc's RFC 6962 rules, its typed data the doc's EIP-712 types, its contract interface
// the doc's. Against the real devnet (`npm run devnet`, its own process, with its anvil chain) it registers, leases,
// computes each task honestly with the model it downloads, submits frames, fetches its receipts, proves one against
// its signed epoch and claims the voucher, checking the Claimed event to the wei; then a member's own key registers a
// device under the owner's delegation, the owner reads and claims its earnings, and revokes it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Contract, JsonRpcProvider, verifyTypedData, Wallet } from 'ethers';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

// ---- The doc's messages ("Messages", "Receipts and epochs", "Vouchers and payouts") ----------------------------------
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const Uint = z.string().regex(/^(0|[1-9][0-9]{0,77})$/);
const Int = z.string().regex(/^(0|-?[1-9][0-9]{0,77})$/);
const ms = z.number().int().nonnegative();
const Payout = z
  .object({ rpcUrl: z.string(), chainId: z.number().int(), tokenAddress: Address, payoutAddress: Address, label: z.string().optional() })
  .strict();
const Info = z
  .object({
    protocol: z.literal('synor-provider/2'),
    network: z.object({ name: z.string(), devnet: z.boolean(), label: z.string() }).strict(),
    coordinator: Address,
    chainId: z.number().int().positive(),
    serverTime: ms,
    maxLeaseWaitMs: ms,
    payout: Payout.optional(),
    submitBatch: z
      .object({ maxResults: z.number().int().min(2).max(256), maxBytes: z.number().int().positive() })
      .strict()
      .optional(),
    leaseFrames: z.literal(true).optional(),
  })
  .strict();
const Registered = z.object({ deviceToken: z.string().regex(/^[0-9a-f]{64}$/), reputation: z.number().int(), serverTime: ms }).strict();
const InlineTensor = z
  .object({ kind: z.literal('inline'), dtype: z.literal('float32'), shape: z.array(z.number().int()), data: z.string() })
  .strict();
const Task = z
  .object({
    id: z.string(),
    model: z
      .object({ url: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int(), name: z.string().optional() })
      .strict(),
    inputs: z.record(z.string(), InlineTensor),
    outputs: z.array(z.string()).min(1),
    deadline: ms,
    memoryEstimateBytes: ms,
    device: z.enum(['any', 'cpu', 'gpu']),
    rewardEstimateWei: Uint,
    priority: z.number().int().min(0).max(9),
  })
  .strict();
const Leased = z.object({ kind: z.literal('task'), leaseId: z.string(), task: Task, leaseTtlMs: ms, serverTime: ms }).strict();
const Submitted = z.object({ status: z.literal('accepted'), serverTime: ms }).strict();
const RESOURCES = ['gpu', 'cpu', 'bandwidth', 'availability'] as const;
/** The 16 fields of a receipt, in the order its leaf text joins them. */
const RECEIPT_FIELDS = [
  'receiptId',
  'seq',
  'taskId',
  'deviceId',
  'owner',
  'resourceType',
  'status',
  'units',
  'durationMs',
  'uptimeBp',
  'reputation',
  'baseWei',
  'reputationBonusWei',
  'uptimeBonusWei',
  'totalWei',
  'issuedAt',
] as const;
const Receipt = z
  .object({
    receiptId: z.string(),
    seq: z.number().int().positive(),
    taskId: z.string(),
    deviceId: z.string(),
    owner: Address,
    resourceType: z.enum(RESOURCES),
    status: z.enum(['verified', 'unverified', 'rejected']),
    units: Uint,
    durationMs: ms,
    uptimeBp: z.number().int().min(0).max(10_000),
    reputation: z.number().int().min(0).max(100),
    baseWei: Uint,
    reputationBonusWei: Int,
    uptimeBonusWei: Uint,
    totalWei: Uint,
    issuedAt: ms,
  })
  .strict();
type Receipt = z.infer<typeof Receipt>;
const Sum = z.object({ resourceType: z.enum(RESOURCES), receipts: ms, rejected: ms, units: Uint, totalWei: Uint }).strict();
const Epoch = z
  .object({
    deviceId: z.string(),
    owner: Address,
    firstSeq: ms,
    lastSeq: ms,
    root: z.string().regex(/^0x[0-9a-f]{64}$/),
    openedAt: ms,
    closedAt: ms,
    sums: z.array(Sum),
    totalWei: Uint,
    issuedAt: ms,
  })
  .strict();
const Receipts = z
  .object({
    epochs: z.array(z.object({ epoch: Epoch, signature: z.string(), receipts: z.array(Receipt) }).strict()),
    nextCursor: ms,
    serverTime: ms,
  })
  .strict();
const Range = z.object({ deviceId: z.string(), firstSeq: ms, lastSeq: ms, amount: Uint }).strict();
const Voucher = z.object({ owner: Address, amount: Uint, ranges: z.array(Range).min(1), expiry: ms, signature: z.string() }).strict();
const VoucherReply = z.object({ voucher: Voucher.nullable(), serverTime: ms }).strict();
const OwnerEpochs = z
  .object({ epochs: z.array(z.object({ epoch: Epoch, signature: z.string() }).strict()), nextCursor: ms, serverTime: ms })
  .strict();
const Revoked = z.object({ status: z.enum(['revoked', 'already']), serverTime: ms }).strict();
const NoWork = z.object({ kind: z.literal('none'), reason: z.string(), message: z.string(), retryAfterMs: ms, serverTime: ms }).strict();

// ---- The doc's EIP-712 types and contract interface -------------------------------------------------------------
const domain = (chainId: number) => ({ name: 'Synor Compute', version: '1', chainId });
const REGISTRATION_TYPES = {
  Registration: [
    { name: 'deviceId', type: 'string' },
    { name: 'owner', type: 'address' },
    { name: 'coordinator', type: 'address' },
    { name: 'info', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};
const EPOCH_TYPES = {
  Epoch: [
    { name: 'deviceId', type: 'string' },
    { name: 'owner', type: 'address' },
    { name: 'firstSeq', type: 'uint64' },
    { name: 'lastSeq', type: 'uint64' },
    { name: 'root', type: 'bytes32' },
    { name: 'openedAt', type: 'uint64' },
    { name: 'closedAt', type: 'uint64' },
    { name: 'sums', type: 'EpochSum[]' },
    { name: 'totalWei', type: 'uint256' },
    { name: 'issuedAt', type: 'uint64' },
  ],
  EpochSum: [
    { name: 'resourceType', type: 'string' },
    { name: 'receipts', type: 'uint32' },
    { name: 'rejected', type: 'uint32' },
    { name: 'units', type: 'uint256' },
    { name: 'totalWei', type: 'uint256' },
  ],
};
const DELEGATION_TYPES = {
  Delegation: [
    { name: 'owner', type: 'address' },
    { name: 'delegate', type: 'address' },
    { name: 'deviceId', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
  ],
};
const REVOCATION_TYPES = {
  Revocation: [
    { name: 'owner', type: 'address' },
    { name: 'delegate', type: 'address' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};
const VOUCHER_TYPES = {
  Voucher: [
    { name: 'owner', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'ranges', type: 'Range[]' },
    { name: 'expiry', type: 'uint64' },
  ],
  Range: [
    { name: 'deviceId', type: 'string' },
    { name: 'firstSeq', type: 'uint64' },
    { name: 'lastSeq', type: 'uint64' },
    { name: 'amount', type: 'uint256' },
  ],
};
const RANGES = 'tuple(string deviceId, uint64 firstSeq, uint64 lastSeq, uint256 amount)[] ranges';
const PAYOUT_ABI = [
  `function claim(address owner, uint256 amount, ${RANGES}, uint64 expiry, bytes signature)`,
  'function paid(address owner, string deviceId) view returns (uint64 lastSeq, uint256 total)',
  'function coordinator() view returns (address)',
  `event Claimed(address indexed owner, uint256 amount, ${RANGES})`,
];
const TOKEN_ABI = ['function balanceOf(address owner) view returns (uint256)'];

// ---- The doc's arithmetic and tree ------------------------------------------------------------------------------
const RATE: Record<(typeof RESOURCES)[number], [bigint, bigint]> = {
  gpu: [1n, 1n],
  cpu: [10n, 1n],
  bandwidth: [1_000_000n, 1n],
  availability: [250_000_000n, 9n],
};
function amounts(r: Receipt): string[] {
  if (r.status === 'rejected') return ['0', '0', '0', '0'];
  const [num, den] = RATE[r.resourceType];
  const rep = BigInt(r.reputation);
  const repBp = rep < 50n ? 5000n + 100n * rep : 10000n + 200n * (rep - 50n);
  const base = (BigInt(r.units) * num) / den;
  const afterRep = (base * repBp) / 10000n;
  const total = (afterRep * (1_000_000n + 20n * BigInt(r.uptimeBp))) / 1_000_000n;
  return [base, afterRep - base, total - afterRep, total].map(String);
}
const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (r: Receipt): Buffer =>
  sha256(
    Buffer.from([0]),
    Buffer.from(RECEIPT_FIELDS.map((f) => (f === 'owner' ? r.owner.toLowerCase() : String(r[f]))).join('\n'), 'utf8'),
  );
const node = (l: Buffer, r: Buffer): Buffer => sha256(Buffer.from([1]), l, r);
const splitAt = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
const treeHash = (leaves: Buffer[]): Buffer =>
  leaves.length === 1
    ? leaves[0]!
    : node(treeHash(leaves.slice(0, splitAt(leaves.length))), treeHash(leaves.slice(splitAt(leaves.length))));
/** RFC 6962 2.1.1: PATH(m, D[n]). */
function auditPath(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = splitAt(leaves.length);
  return m < k
    ? [...auditPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...auditPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}
/** RFC 9162 2.1.3.2. */
function rootFromPath(index: number, size: number, hash: Buffer, path: Buffer[]): Buffer | null {
  let fn = index;
  let sn = size - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else r = node(r, p);
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 ? r : null;
}

// ---- The devnet, as `npm run devnet` starts it --------------------------------------------------------------------
async function startDevnet(): Promise<{ url: string }> {
  const data = await mkdtemp(join(tmpdir(), 'doc-client-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'main/devnet/standalone.ts', '--port', '0', '--data', data], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stops.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /Coordinator: (\S+)[\s\S]*Chain: \S+/.exec(text);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`the devnet ended before it was ready: ${out}`)));
  });
  return { url };
}

/** A JSON request; the parsed reply, and the size of its body in bytes when asked (bandwidth is counted in them). */
async function call<T>(
  base: string,
  schema: z.ZodType<T>,
  path: string,
  token?: string,
  body?: unknown,
  size?: (bytes: number) => void,
): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  size?.(Buffer.byteLength(text));
  return schema.parse(JSON.parse(text));
}

/** Sessions by model hash: a model is downloaded once (the hash says what it is, whichever lease's URL named it). */
const sessions = new Map<string, ort.InferenceSession>();
stops.push(async () => {
  for (const session of sessions.values()) await session.release();
});

async function sessionFor(model: z.infer<typeof Task>['model']): Promise<ort.InferenceSession> {
  const known = sessions.get(model.sha256);
  if (known) return known;
  const bytes = Buffer.from(await (await fetch(model.url)).arrayBuffer());
  assert.equal(createHash('sha256').update(bytes).digest('hex'), model.sha256);
  const session = await ort.InferenceSession.create(bytes);
  sessions.set(model.sha256, session);
  return session;
}

/** The task run with its own model, checked by hash; its outputs as float32 tensors. */
async function compute(task: z.infer<typeof Task>): Promise<{ name: string; shape: number[]; data: Buffer }[]> {
  const session = await sessionFor(task.model);
  const feeds = Object.fromEntries(
    Object.entries(task.inputs).map(([name, t]) => {
      const bytes = Buffer.from(t.data, 'base64');
      return [
        name,
        new ort.Tensor('float32', new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), t.shape),
      ];
    }),
  );
  const out = await session.run(feeds);
  return task.outputs.map((name) => {
    const t = out[name]!;
    const data = t.data as Float32Array;
    return { name, shape: [...t.dims], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  });
}

/** The doc's frame: u32 LE header length, u32 LE payload length, the JSON header, the payload. */
function frame(leaseId: string, taskId: string, outputs: { name: string; shape: number[]; data: Buffer }[], wallMs: number): Buffer {
  let offset = 0;
  const tensors = Object.fromEntries(
    outputs.map((o) => {
      const ref = { dtype: 'float32', shape: o.shape, data: { $bytes: [offset, o.data.length] } };
      offset += o.data.length;
      return [o.name, ref];
    }),
  );
  const accounting = { wallMs, cpuMs: wallMs, peakRssBytes: process.memoryUsage().rss, device: 'cpu', operations: 0 };
  const header = Buffer.from(JSON.stringify({ leaseId, result: { taskId, outputs: tensors, accounting } }), 'utf8');
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32LE(header.length, 0);
  lengths.writeUInt32LE(offset, 4);
  return Buffer.concat([lengths, header, ...outputs.map((o) => o.data)]);
}

test(
  'a client built from the doc alone registers, computes, proves its receipt and claims to the wei, and delegates',
  { timeout: 300_000 },
  async () => {
    const { url } = await startDevnet();
    const info = await call(url, Info, 'v1/info');
    assert.ok(info.payout, 'the devnet names its payout chain');

    // Register: the owner signs the exact DeviceInfo text, for this coordinator, at coordinator time.
    const owner = Wallet.createRandom();
    const deviceId = `doc-${randomBytes(8).toString('hex')}`;
    const deviceInfo = {
      deviceId,
      owner: owner.address,
      deviceType: { kind: 'cpu', vendor: 'doc client', cores: 1, threads: 1, avx: 'none' },
      compute: {
        fp32Gflops: 10,
        fp16Gflops: 0,
        int8Tops: 0,
        memoryBandwidthGbps: 10,
        memoryGb: 1,
        frameworks: ['onnxruntime'],
        modelFormats: ['onnx'],
      },
      network: { downloadMbps: 0, uploadMbps: 0, edgeLatencyMs: 0, natType: 'unknown' },
      availability: { always: true, hours: null, idleOnly: false, chargingOnly: false, minBattery: null },
    };
    const registration = {
      deviceId,
      owner: owner.address,
      coordinator: info.coordinator,
      info: JSON.stringify(deviceInfo),
      issuedAt: info.serverTime,
    };
    const signature = await owner.signTypedData(domain(info.chainId), REGISTRATION_TYPES, registration);
    const { deviceToken: token } = await call(url, Registered, 'v1/devices/register', undefined, { registration, signature });

    // Lease, compute honestly, submit as a frame: four tasks (a new device has each one checked by recomputing it), well
    // within the minute an epoch stays open.
    const taskIds: string[] = [];
    // Bytes the doc says count as bandwidth: lease replies' bodies, submitted frames, and the model once per device.
    let moved = 0;
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      const lease = await call(url, Leased, 'v1/lease', token, { waitMs: 5_000, resource: 'cpu' }, (bytes) => (moved += bytes));
      const firstFetch = !sessions.has(lease.task.model.sha256);
      const outputs = await compute(lease.task);
      const body = frame(lease.leaseId, lease.task.id, outputs, performance.now() - started);
      const res = await fetch(new URL('v1/submit', url), {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.synor.frame', authorization: `Bearer ${token}` },
        body,
      });
      Submitted.parse(await res.json());
      moved += body.length + (firstFetch ? lease.task.model.size : 0);
      taskIds.push(lease.task.id);
    }

    // Receipts: the device's first epoch is sealed when it asks, with every receipt so far. Each is checked as the doc says.
    const { epochs } = await call(url, Receipts, 'v1/receipts?cursor=0', token);
    const receipts = epochs.flatMap((b) => b.receipts);
    for (const id of taskIds) {
      const r = receipts.find((x) => x.taskId === id);
      assert.ok(r, `a receipt for task ${id}`);
      assert.equal(r.status, 'verified', 'computed honestly, checked and right');
      assert.equal(r.resourceType, 'cpu');
    }
    const bandwidth = receipts.filter((r) => r.resourceType === 'bandwidth');
    assert.deepEqual(
      bandwidth.map((r) => [r.taskId, r.status, r.units]),
      [['', 'verified', String(moved)]],
      'one bandwidth receipt pays exactly the bytes the doc names',
    );
    let earned = 0n;
    for (const { epoch, signature: epochSignature, receipts: rs } of epochs) {
      assert.equal(
        verifyTypedData(domain(info.chainId), EPOCH_TYPES, epoch, epochSignature),
        info.coordinator,
        'signed by the coordinator',
      );
      assert.deepEqual(
        rs.map((r) => r.seq),
        Array.from({ length: epoch.lastSeq - epoch.firstSeq + 1 }, (_, i) => epoch.firstSeq + i),
      );
      for (const r of rs) assert.deepEqual([r.baseWei, r.reputationBonusWei, r.uptimeBonusWei, r.totalWei], amounts(r), `receipt ${r.seq}`);
      const leaves = rs.map(leaf);
      assert.equal(`0x${treeHash(leaves).toString('hex')}`, epoch.root);
      // Each receipt proven on its own: its leaf, its audit path, the signed root; a changed receipt is not.
      for (const [index, r] of rs.entries()) {
        const hex = (b: Buffer | null) => b && `0x${b.toString('hex')}`;
        assert.equal(hex(rootFromPath(index, rs.length, leaf(r), auditPath(index, leaves))), epoch.root, `receipt ${r.seq}`);
        assert.notEqual(hex(rootFromPath(index, rs.length, leaf({ ...r, units: `${r.units}0` }), auditPath(index, leaves))), epoch.root);
      }
      const sums = RESOURCES.flatMap((type) => {
        const mine = rs.filter((r) => r.resourceType === type);
        const add = (f: 'units' | 'totalWei') => String(mine.reduce((s, r) => s + BigInt(r[f]), 0n));
        return mine.length === 0
          ? []
          : [
              {
                resourceType: type,
                receipts: mine.length,
                rejected: mine.filter((r) => r.status === 'rejected').length,
                units: add('units'),
                totalWei: add('totalWei'),
              },
            ];
      });
      assert.deepEqual(epoch.sums, sums);
      assert.equal(epoch.totalWei, String(rs.reduce((s, r) => s + BigInt(r.totalWei), 0n)));
      earned += BigInt(epoch.totalWei);
    }
    assert.ok(earned > 0n);

    // Voucher and claim: what the epochs say, to the wei, paid by the contract the coordinator's key signs for.
    const { voucher } = await call(url, VoucherReply, 'v1/voucher', token);
    assert.ok(voucher);
    const { signature: voucherSignature, ...body } = voucher;
    const payoutDomain = { name: 'SynorPayout', version: '1', chainId: info.payout.chainId, verifyingContract: info.payout.payoutAddress };
    assert.equal(verifyTypedData(payoutDomain, VOUCHER_TYPES, body, voucherSignature), info.coordinator);
    assert.deepEqual(voucher.ranges, [{ deviceId, firstSeq: 1, lastSeq: epochs.at(-1)!.epoch.lastSeq, amount: String(earned) }]);
    assert.equal(voucher.amount, String(earned));

    // Replies are not cached: the second claim reads the nonce the first used (a count cached 250 ms gave it the same one).
    const provider = new JsonRpcProvider(info.payout.rpcUrl, info.payout.chainId, { staticNetwork: true, cacheTimeout: -1 });
    stops.push(async () => provider.destroy());
    const payout = new Contract(info.payout.payoutAddress, PAYOUT_ABI, owner.connect(provider));
    assert.equal(await payout.getFunction('coordinator')(), info.coordinator);
    const tx = await payout.getFunction('claim')(voucher.owner, voucher.amount, voucher.ranges, voucher.expiry, voucherSignature);
    const mined = await tx.wait();
    const claimed = mined.logs
      .map((log: { topics: string[]; data: string }) => payout.interface.parseLog(log))
      .find((e: { name?: string } | null) => e?.name === 'Claimed');
    assert.ok(claimed, 'a Claimed event');
    assert.equal(claimed.args.owner, owner.address);
    assert.equal(claimed.args.amount, earned);
    assert.deepEqual(
      claimed.args.ranges.map((r: { deviceId: string; firstSeq: bigint; lastSeq: bigint; amount: bigint }) => [
        r.deviceId,
        r.firstSeq,
        r.lastSeq,
        r.amount,
      ]),
      [[deviceId, 1n, BigInt(epochs.at(-1)!.epoch.lastSeq), earned]],
    );
    const token20 = new Contract(info.payout.tokenAddress, TOKEN_ABI, provider);
    assert.equal(await token20.getFunction('balanceOf')(owner.address), earned);
    const [lastSeq, total] = (await payout.getFunction('paid')(owner.address, deviceId)) as [bigint, bigint];
    assert.deepEqual([lastSeq, total], [BigInt(epochs.at(-1)!.epoch.lastSeq), earned]);
    console.log(
      `doc client: ${receipts.length} receipts in ${epochs.length} epoch(s), claimed ${earned} wei on chain ${info.payout.chainId} for ${mined.gasUsed} gas`,
    );

    // Delegation: a member's own key registers a device for the owner under the owner's signed delegation, earns, and
    // the owner reads its signed epochs and claims them; then the owner revokes it and its new work is refused.
    const memberKey = Wallet.createRandom();
    const delegation = {
      owner: owner.address,
      delegate: memberKey.address,
      deviceId: '',
      issuedAt: info.serverTime,
      expiresAt: 0,
      nonce: `0x${randomBytes(32).toString('hex')}`,
    };
    const memberDevice = `doc-member-${randomBytes(8).toString('hex')}`;
    const memberRegistration = {
      ...registration,
      deviceId: memberDevice,
      info: JSON.stringify({ ...deviceInfo, deviceId: memberDevice }),
      issuedAt: info.serverTime + 1,
    };
    const { deviceToken: memberToken } = await call(url, Registered, 'v1/devices/register', undefined, {
      registration: memberRegistration,
      signature: await memberKey.signTypedData(domain(info.chainId), REGISTRATION_TYPES, memberRegistration),
      delegation: { delegation, signature: await owner.signTypedData(domain(info.chainId), DELEGATION_TYPES, delegation) },
    });
    const lease = await call(url, Leased, 'v1/lease', memberToken, { waitMs: 5_000, resource: 'cpu' });
    const started = performance.now();
    await fetch(new URL('v1/submit', url), {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.synor.frame', authorization: `Bearer ${memberToken}` },
      body: frame(lease.leaseId, lease.task.id, await compute(lease.task), performance.now() - started),
    }).then(async (res) => Submitted.parse(await res.json()));
    const seen = await call(url, OwnerEpochs, `v1/owner/epochs?device=${memberDevice}&cursor=0`, token);
    let memberEarned = 0n;
    for (const { epoch, signature: epochSignature } of seen.epochs) {
      assert.equal(verifyTypedData(domain(info.chainId), EPOCH_TYPES, epoch, epochSignature), info.coordinator);
      assert.deepEqual([epoch.deviceId, epoch.owner], [memberDevice, owner.address], "the member's earnings are the owner's");
      memberEarned += BigInt(epoch.totalWei);
    }
    const { voucher: forMember } = await call(url, VoucherReply, 'v1/voucher', token);
    assert.ok(forMember, "the owner's voucher covers its member");
    assert.deepEqual(forMember?.ranges, [{ deviceId: memberDevice, firstSeq: 1, lastSeq: seen.nextCursor, amount: String(memberEarned) }]);
    const { signature: memberVoucherSignature } = forMember;
    await (
      await payout.getFunction('claim')(forMember.owner, forMember.amount, forMember.ranges, forMember.expiry, memberVoucherSignature)
    ).wait();
    assert.equal(await token20.getFunction('balanceOf')(owner.address), earned + memberEarned, 'one owner paid for both devices');
    const revocation = { owner: owner.address, delegate: memberKey.address, issuedAt: info.serverTime + 2 };
    const revoke = { revocation, signature: await owner.signTypedData(domain(info.chainId), REVOCATION_TYPES, revocation) };
    assert.equal((await call(url, Revoked, 'v1/delegations/revoke', undefined, revoke)).status, 'revoked');
    const refused = await call(url, NoWork, 'v1/lease', memberToken, { waitMs: 0, resource: 'cpu' });
    assert.equal(refused.reason, 'not-eligible');
  },
);
