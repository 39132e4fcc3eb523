/** Shared by the network tests: a device description, a test device, an executor running tasks with onnxruntime-node, a switchable proxy. */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import * as ort from 'onnxruntime-node';
import {
  createNetworkClient,
  type NetworkEvent,
  type NetworkClient,
  type NetworkClientOptions,
  type OwnerSigner,
} from '../../../main/core/network/client.js';
import { Ledger } from '../../../main/core/ledger/ledger.js';
import { recordProblem } from '../../../main/core/ledger/trust.js';
import { systemClock } from '../../../main/core/node-ports.js';
import { startNetworkService, type NetworkService } from '../../../main/core/network/service.js';
import type { Logger } from '../../../main/core/ports.js';
import { MemoryLogger, tempDir } from '../../helpers/fakes.js';
import type { DeviceInfo } from '../../../main/common/protocol.js';
import type { Task, TaskResult } from '../../../main/common/task.js';

export const cpuDevice: Omit<DeviceInfo, 'deviceId' | 'owner'> = {
  deviceType: { kind: 'cpu', vendor: 'test', cores: 2, threads: 2, avx: 'avx2' },
  compute: {
    fp32Gflops: 50,
    fp16Gflops: 0,
    int8Tops: 0,
    memoryBandwidthGbps: 20,
    memoryGb: 4,
    frameworks: ['onnxruntime'],
    modelFormats: ['onnx'],
  },
  network: { downloadMbps: 100, uploadMbps: 20, edgeLatencyMs: 10, natType: 'unknown' },
  availability: { always: true, hours: null, idleOnly: false, chargingOnly: false, minBattery: null },
};

/** A network client as a test device: its own data dir and ledger, a fresh wallet; `extra` overrides any option. */
export async function testDevice(url: string, extra: Partial<NetworkClientOptions> = {}) {
  const dir = extra.dataDir ?? (await tempDir());
  const ledger = extra.ledger ?? (await Ledger.open(join(dir, 'ledger.jsonl')));
  const signer = (extra.signer as Wallet | undefined) ?? Wallet.createRandom();
  const client = await createNetworkClient({
    url,
    dataDir: dir,
    signer,
    device: cpuDevice,
    ledger,
    clock: systemClock,
    logger: new MemoryLogger(),
    leaseWaitMs: 2_000,
    ...extra,
  });
  // As the network service does: the ledger is checked against the client's trust before anything is appended.
  await ledger.verify(recordProblem(client.trust()), Date.now());
  return { client, ledger, dir, signer };
}

/** A schema-valid result made at once: for tests of leasing and submitting, not inference. */
export const quickResult = (task: Task): TaskResult => ({
  taskId: task.id,
  outputs: Object.fromEntries(task.outputs.map((n) => [n, { dtype: 'float32' as const, shape: [1], data: new Uint8Array(4) }])),
  accounting: { wallMs: 1, cpuMs: 1, peakRssBytes: 1, device: 'cpu', operations: 0 },
});

/** Every client event of one type, as they come. */
export function collect(client: NetworkClient, type: NetworkEvent['type']): NetworkEvent[] {
  const seen: NetworkEvent[] = [];
  client.subscribe((e) => void (e.type === type && seen.push(e)));
  return seen;
}

/** Leases until a task comes; throws when leasing is paused (it answers at once: asking again would spin). */
export async function leaseOne(client: NetworkClient): Promise<{ leaseId: string; task: Task }> {
  for (;;) {
    const outcome = await client.lease();
    if (outcome.kind === 'task') return outcome;
    if (outcome.reason === 'paused') throw new Error(`leasing paused: ${outcome.message}`);
  }
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** Runs a task the way the runtime will (model fetched by URL and hash-checked, real onnxruntime session). */
export async function runWithOrt(task: Task): Promise<TaskResult> {
  const started = performance.now();
  let session = sessions.get(task.model.sha256);
  if (!session) {
    session = (async () => {
      const bytes = new Uint8Array(await (await fetch(task.model.url)).arrayBuffer());
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (hash !== task.model.sha256) throw new Error(`model hash ${hash} is not ${task.model.sha256}`);
      return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    })();
    sessions.set(task.model.sha256, session);
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(task.inputs)) {
    if (t.kind === 'url' || t.dtype !== 'float32') throw new Error('only float32 inputs in the task here');
    const buf = t.kind === 'bytes' ? Buffer.from(t.data) : Buffer.from(t.data, 'base64');
    feeds[name] = new ort.Tensor('float32', new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)), t.shape);
  }
  const out = await (await session).run(feeds);
  const outputs: TaskResult['outputs'] = {};
  for (const name of task.outputs) {
    const tensor = out[name];
    if (!tensor) throw new Error(`no output ${name}`);
    const data = tensor.data as Float32Array;
    outputs[name] = { dtype: 'float32', shape: [...tensor.dims], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  const wallMs = performance.now() - started;
  return {
    taskId: task.id,
    outputs,
    accounting: { wallMs, cpuMs: wallMs, peakRssBytes: process.memoryUsage().rss, device: 'cpu', operations: 0 },
  };
}

/** Resolves with the first client event matching `match` (no sleeps: tests wait on events). */
export function nextEvent<T extends NetworkEvent['type']>(
  client: NetworkClient,
  type: T,
  match: (e: Extract<NetworkEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<NetworkEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = client.subscribe((e) => {
      if (e.type === type && match(e as Extract<NetworkEvent, { type: T }>)) {
        off();
        resolve(e as Extract<NetworkEvent, { type: T }>);
      }
    });
  });
}

/** The network service of a processor device owned by `signer`, with its data in `dataDir`, on the system clock. */
export const cpuService = (
  dataDir: string,
  url: string,
  signer: OwnerSigner,
  logger: Logger = new MemoryLogger(),
): Promise<NetworkService> =>
  startNetworkService({ dataDir, url, detailDays: () => 7, signer, device: cpuDevice, clock: systemClock, logger });

/**
 * Leases a task, runs it, cuts `proxy` and completes it: a finished result the network has not taken, waiting in the
 * outbox (the proxy stays cut). Resolves with its task id once it is on disk.
 */
export async function queueResult(client: NetworkClient, proxy: { up: boolean }): Promise<string> {
  const { leaseId, task } = await leaseOne(client);
  const result = await runWithOrt(task);
  proxy.up = false;
  const queued = nextEvent(client, 'queued');
  await client.complete(leaseId, result);
  await queued;
  return task.id;
}

/** A TCP proxy on 127.0.0.1 that can be cut (refuses and drops connections) and restored: "the network went away". */
export async function switchableProxy(target: string): Promise<{ url: string; up: boolean; close(): Promise<void> }> {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const state = { up: true };
  const server: Server = createServer((socket) => {
    if (!state.up) {
      socket.destroy();
      return;
    }
    const upstream = connect(Number(targetPort), '127.0.0.1');
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get up() {
      return state.up;
    },
    set up(value: boolean) {
      state.up = value;
      if (!value) for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
