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

/** A line of the devnet's stderr as logged: a line of bundled code in an error report can be megabytes long. */
const LOGGED_LINE_CHARS = 1000;

/**
 * Forks the local devnet (its process entry: devnet/process-entry.ts) and waits for it to say where it listens: on
 * `ports` when given (the address it had before a nap), else on free ones.
 */
export function startDevnetProcess(dataDir: string, logger: Logger, ports?: { port: string; chainPort: string }): Promise<DevnetProcess> {
  const entry = devnetProcessEntry();
  const where = ports ? ['--port', ports.port, '--chain-port', ports.chainPort] : ['--port', '0'];
  const child = fork(entry.path, [...where, '--data', dataDir], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  // Why it stopped, should it stop at start: the message of the last error it reported (the devnet says it first in
  // a line of its own; Node's report after it begins with the line of code that threw and may not arrive whole).
  let reason = 'it gave no reason';
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = (lines.pop() ?? '').slice(-LOGGED_LINE_CHARS);
    for (const line of lines.filter(Boolean)) {
      logger.info(`devnet: ${line.replace(/^\[agent\] /, '').slice(0, LOGGED_LINE_CHARS)}`);
      reason = /^\w*Error: (.+)/.exec(line.trim())?.[1] ?? reason;
    }
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
    // 'close', not 'exit': the exit can come before the last of stderr, which holds the reason.
    child.once('close', (code, signal) => reject(new Error(`the local devnet stopped at start (${signal ?? `code ${code}`}): ${reason}`)));
  });
}
