import { fork } from 'node:child_process';
import type { ChainSettings } from '../common/wallet.js';
import { DevnetReadySchema } from '../common/devnet.js';
import { devnetProcessEntry } from '../devnet/process-entry.js';
import type { Logger } from './ports.js';

export interface DevnetProcess {
  url: string;
  chain: ChainSettings;
  stop(): Promise<void>;
}

/** Forks the local devnet (its process entry: devnet/process-entry.ts) and waits for it to say where it listens. */
export function startDevnetProcess(dataDir: string, logger: Logger): Promise<DevnetProcess> {
  const entry = devnetProcessEntry();
  const child = fork(entry.path, ['--port', '0', '--data', dataDir], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    for (const line of chunk.toString().split('\n').filter(Boolean)) logger.info(`devnet: ${line.replace(/^\[agent\] /, '')}`);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.once('message', (raw) => {
      const ready = DevnetReadySchema.safeParse(raw);
      if (ready.success) resolve({ url: ready.data.url, chain: ready.data.chain, stop });
      else void stop().then(() => reject(new Error('the local devnet sent an unexpected start message')));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`the local devnet stopped at start (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').at(-1) ?? ''}`)),
    );
  });
}
