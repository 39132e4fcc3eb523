import { Socket, type ConnectOpts, type SocketConstructorOpts } from 'node:net';
import { Worker } from 'node:worker_threads';
import { HostRequestSchema, tensorBuffers, type HostMessage } from './host-protocol.js';
import { BufferPool, encodeFrame, FrameReader, SPILL_MIN_BYTES } from './frames.js';
import { HostError, type FromWorker, type ToWorker } from './host-threads.js';
import { fetchFeeds } from './input-fetch.js';
import { SerialQueue } from '../../common/serial.js';
import { failureOf } from '../../common/coded-error.js';
import { errorText } from '../../common/result.js';
import { dieWithAgent, exitWithAgent } from './parent-death.js';

/** The main thread: frames from and to the agent on fd 4, jobs to the worker thread (`entry`: the file both run). */
export function startMain(entry: URL): void {
  // Before anything else: a host must not outlive its agent (see parent-death.ts).
  if (dieWithAgent() === 'parent-gone') process.exit(0);
  // Run from source (tests), the worker must register tsx itself: Node 20 workers do not get --import loaders.
  const worker = entry.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true })
    : new Worker(entry);
  const inputs = new BufferPool();
  const spillDir = process.argv[3]; // from the agent (host.ts), where there is a RAM file system
  const spill = spillDir === undefined ? undefined : { dir: spillDir, minBytes: SPILL_MIN_BYTES };
  const reader = new FrameReader(onRequest, (n) => inputs.take(n), spillDir);
  // The kernel copies each request's tensor bytes straight into the buffer the worker will run on (see host.ts for fd 4).
  // (Node takes onread in the constructor; @types/node 20 lists it under connect() only.)
  const options: SocketConstructorOpts & ConnectOpts = {
    fd: 4,
    readable: true,
    writable: true,
    onread: { buffer: () => reader.target(), callback: (n) => (reader.advance(n), true) },
  };
  const pipe = new Socket(options);
  const send = (m: HostMessage): void => {
    // Corked: a frame's parts (and a job's end with the next one's start) leave in one writev, one wake-up of the agent.
    pipe.cork();
    for (const part of encodeFrame(m, spill)) pipe.write(part);
    process.nextTick(() => pipe.uncork());
  };
  // Jobs handed to the worker, in the order it runs them: one starts as the one before it ends.
  const queued: string[] = [];
  const order = new SerialQueue();
  // A dead worker leaves sessions in an unknown state: exit and let the agent restart us.
  worker.on('error', (e) => {
    process.stderr.write(`job host worker failed: ${e.stack ?? String(e)}\n`);
    process.exit(70);
  });
  worker.on('exit', () => process.exit(70));
  worker.on('message', ({ message, recycle }: FromWorker) => {
    inputs.give(recycle);
    send(message);
    if (message.type !== 'done' && message.type !== 'failed') return;
    queued.shift();
    if (queued[0] !== undefined) send({ type: 'started', jobId: queued[0] });
  });
  exitWithAgent(pipe);
  function onRequest(raw: unknown): void {
    const parsed = HostRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const jobId = typeof raw === 'object' && raw && 'jobId' in raw ? String(raw.jobId) : '';
      send({ type: 'failed', jobId, code: 'bad-request', message: parsed.error.message.slice(0, 500) });
      return;
    }
    if (parsed.data.type === 'shutdown') process.exit(0);
    const req = parsed.data;
    // In arrival order: a job's inputs sent by URL are fetched while the worker runs the jobs before it.
    void order.run(async () => {
      try {
        const ready = { ...req, feeds: await fetchFeeds(req.feeds, (n) => inputs.take(n)) };
        queued.push(ready.jobId);
        if (queued.length === 1) send({ type: 'started', jobId: ready.jobId });
        // Feeds may share one buffer (small tensors from one pool): each buffer is transferred once.
        worker.postMessage({ req: ready } satisfies ToWorker, tensorBuffers(ready.feeds));
      } catch (e) {
        const { code, message } = failureOf(e, [HostError], (other) => ({ code: 'run-failed', message: errorText(other) }));
        send({ type: 'failed', jobId: req.jobId, code, message });
      }
    });
  }
}
