import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Headless {
  child: ChildProcessWithoutNullStreams;
  url: string;
  origin: string;
  token: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Resolves with the first stdout match of `pattern`, or rejects with everything printed if the process ends first. */
export function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}:\n${seen}`)));
  });
}

/** Starts a built command (default: the headless agent) with its data under `home`, and waits for its URL. */
export async function startHeadless(
  home: string,
  args: string[] = ['dist/main/headless.js', '--port', '0'],
  env: NodeJS.ProcessEnv = {},
): Promise<Headless> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SYNOR_HOME: home, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const match = await waitForLine(child, /(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]{64})/);
  const [url, origin, token] = match as unknown as [string, string, string];
  return {
    child,
    url,
    origin,
    token,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Calls the agent over its HTTP API as the UI does. */
export async function rpc(
  server: Pick<Headless, 'origin' | 'token'> & Partial<Pick<Headless, 'child' | 'output'>>,
  cmd: string,
  args: unknown = {},
): Promise<unknown> {
  try {
    const response = await fetch(`${server.origin}/api/rpc`, {
      method: 'POST',
      // A new connection each call: the agent closes a kept-alive one after 5 s idle, and a test process starved of
      // CPU on a loaded machine can hold one past undici's own 3 s limit and send on it as it closes (the likely cause
      // of one "other side closed" in CI; should the agent have ended instead, the error below now says so).
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, Connection: 'close' },
      body: JSON.stringify({ cmd, args }),
    });
    return await response.json();
  } catch (error) {
    throw await withAgentOutput(server, `${cmd} got no answer`, error);
  }
}

/** A failed call, told with whether the agent process ended and what it printed last (a crash's stack is there). */
async function withAgentOutput(server: Partial<Pick<Headless, 'child' | 'output'>>, what: string, error: unknown): Promise<Error> {
  const { child, output } = server;
  if (!child || !output) return new Error(what, { cause: error });
  // A crash closes the socket before its exit is reported: give the exit a moment to arrive.
  if (child.exitCode === null && child.signalCode === null) {
    await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }
  const ended = child.exitCode ?? child.signalCode;
  const state = ended === null ? 'the agent is still running' : `the agent ended (${ended})`;
  return new Error(`${what}; ${state}. Its last output:\n${output().slice(-3000)}`, { cause: error });
}
