/**
 * Job host: a child process the agent forks per device lane. Its main thread talks to the agent (host-main.ts); a
 * worker thread owns the onnxruntime sessions (host-worker.ts), because session.run blocks its thread and the next
 * task's bytes should arrive while the current one computes. The agent suspends, throttles or kills this whole
 * process; it never runs models in its own. This file is both threads' entry.
 */
import { isMainThread } from 'node:worker_threads';
import { startMain } from './host-main.js';
import { startWorker } from './host-worker.js';

if (isMainThread) startMain(new URL(import.meta.url));
else await startWorker();
