/**
 * The job host worker's warm onnxruntime sessions: a model is read, checked against its hash and opened once, on the
 * first provider that takes it, and kept (least recently used first out) for the next tasks of the same model.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as OnnxRuntime from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import type { HostMessage, Provider, RunRequest } from './host-protocol.js';
import { HostError } from './host-threads.js';
import { readModelGraph, type ModelGraph } from '../onnx/model-graph.js';
import { executionProviders, firstLine } from './providers.js';

/** onnxruntime, loaded by the worker once its thread's priority is lowered. */
export type Ort = typeof OnnxRuntime;

export interface Warm {
  session: InferenceSession;
  graph: ModelGraph;
  provider: string;
  /** Operations per input shapes (following a 500-node graph takes ~1 ms). */
  operations: Map<string, number>;
}

const options = (req: RunRequest, providers: Provider[]): InferenceSession.SessionOptions => ({
  executionProviders: executionProviders({ ...req.session, providers }),
  intraOpNumThreads: req.session.threads,
  interOpNumThreads: 1,
  // No spinning: a pool thread waiting for work (or for a sibling the agent's work preempted) burns its core; at
  // 2 threads a 1024² MatMul took 14 ms of CPU a run with spinning, 11 ms without, and 34 ms more after each run.
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

/** The model's bytes from the agent's cache, checked against the hash the task names. */
function modelBytes(req: RunRequest): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(req.modelPath);
  } catch (e) {
    // Gone from the cache behind the agent's back (it trusts a recent check): the agent fetches it again.
    throw new HostError('model-corrupt', `model file unreadable: ${firstLine(e)}`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== req.sha256) throw new HostError('model-corrupt', `model bytes hash to ${actual}, expected ${req.sha256}`);
  return bytes;
}

/**
 * A session on the first of the task's providers that opens the model. onnxruntime throws instead of falling back
 * when a listed provider is missing, so they are tried one by one; a GPU lane never runs on the CPU (that would escape
 * the CPU share), so when none opens, the CPU only tells whose fault it is, the model's or the GPU's.
 */
async function openOnFirst(
  ort: Ort,
  bytes: Buffer,
  req: RunRequest,
): Promise<{ session: InferenceSession; provider: Provider; skipped: string[] }> {
  const skipped: string[] = [];
  let why = '';
  for (const provider of req.session.providers) {
    try {
      return { session: await ort.InferenceSession.create(bytes, options(req, [provider])), provider, skipped };
    } catch (e) {
      why = firstLine(e);
      skipped.push(`${provider} not usable here (${why})`);
    }
  }
  if (req.session.providers.includes('cpu')) throw new HostError('model-invalid', `onnxruntime rejected the model: ${why}`);
  try {
    await (await ort.InferenceSession.create(bytes, options(req, ['cpu']))).release();
  } catch (e) {
    throw new HostError('model-invalid', `onnxruntime rejected the model: ${firstLine(e)}`);
  }
  throw new HostError('provider-unavailable', skipped.join('; '));
}

export class WarmSessions {
  private readonly sessions = new Map<string, Warm>();

  constructor(
    private readonly ort: Ort,
    /** Tells the agent a model was loaded (which provider, how long it took). */
    private readonly post: (message: HostMessage) => void,
  ) {}

  async open(req: RunRequest): Promise<Warm> {
    const key = JSON.stringify([req.sha256, req.session]);
    const warm = this.sessions.get(key);
    if (warm) {
      this.sessions.delete(key); // re-insert: Map order is the LRU order
      this.sessions.set(key, warm);
      return warm;
    }
    const started = performance.now();
    const bytes = modelBytes(req);
    let graph: ModelGraph;
    try {
      graph = readModelGraph(bytes);
    } catch (e) {
      throw new HostError('model-invalid', `not an ONNX model: ${firstLine(e)}`);
    }
    const { session, provider, skipped } = await openOnFirst(this.ort, bytes, req);
    const fallback = skipped.length ? `${skipped.join('; ')}; running on ${provider === 'cpu' ? 'CPU' : provider}` : undefined;
    const loaded: Warm = { session, graph, provider, operations: new Map() };
    this.sessions.set(key, loaded);
    for (const [k, old] of this.sessions) {
      if (this.sessions.size <= req.session.warmSessions) break;
      this.sessions.delete(k);
      await old.session.release();
    }
    this.post({
      type: 'loaded',
      jobId: req.jobId,
      sha256: req.sha256,
      provider,
      ...(fallback ? { fallback } : {}),
      batchable: graph.batchable,
      loadMs: performance.now() - started,
    });
    return loaded;
  }
}
