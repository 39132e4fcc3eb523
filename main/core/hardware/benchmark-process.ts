import { fork } from 'node:child_process';
import { z } from 'zod';
import { BenchmarkProgressSchema } from '../../common/hardware.js';
import { childEntry } from '../child-entry.js';
import type { BenchmarkOptions } from './benchmark.js';
import type { CpuMeasurement } from './classify.js';

const MessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress: BenchmarkProgressSchema }),
  z.object({
    type: z.literal('done'),
    result: z.object({ fp32Gflops: z.number().min(0), int8Tops: z.number().min(0), memoryBandwidthGbps: z.number().min(0) }),
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);

/** Runs measureCpu in a child process (see benchmark-child.ts) and relays its progress. */
export function measureCpuInChild(options: BenchmarkOptions = {}): Promise<CpuMeasurement> {
  const { onProgress, ...rest } = options;
  const entry = childEntry(import.meta.url, 'benchmark-child');
  return new Promise((resolve, reject) => {
    const child = fork(entry.path, [JSON.stringify(rest)], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on('message', (raw) => {
      const message = MessageSchema.safeParse(raw);
      if (!message.success) return;
      if (message.data.type === 'progress') onProgress?.(message.data.progress);
      else {
        settled = true;
        if (message.data.type === 'done') resolve(message.data.result);
        else reject(new Error(message.data.message));
      }
    });
    child.on('error', (error) => !settled && ((settled = true), reject(error)));
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`the benchmark process ended (${signal ?? `code ${code}`}) ${stderr.trim().split('\n').at(-1) ?? ''}`.trim()));
    });
  });
}
