import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitForLine } from '../helpers/headless.js';
import { loadAddon } from '../../main/core/hardware/native-probe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const hasPdeathsig =
  process.platform === 'linux' && typeof (loadAddon().addon as { setParentDeathSignal?: unknown } | null)?.setParentDeathSignal === 'function';

/** Gone = no /proc entry, or a zombie (killed, waiting for init to reap it: it holds no memory and runs nothing). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] === 'Z';
  } catch {
    return true;
  }
}

/** Resolves with the ms it took for `pid` to be gone, or rejects once `boundMs` passed. */
function goneWithin(pid: number, boundMs: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const elapsed = performance.now() - start;
      if (gone(pid)) return resolve(elapsed);
      if (elapsed > boundMs) return reject(new Error(`job host ${pid} still there after ${boundMs} ms`));
      setTimeout(check, 5);
    };
    check();
  });
}

const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];

test(
  'a SIGSTOPped job host dies within 1 s of kill -9 on its agent (PR_SET_PDEATHSIG from the native addon)',
  { timeout: 60_000, skip: hasPdeathsig ? false : 'needs Linux and the native addon (fallback: swept at the next agent start)' },
  async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', 'test/integration/support/host-parent.ts'], { cwd: ROOT });
    let host = 0;
    try {
      const [, pidText, answer] = (await waitForLine(parent, /host (\d+) answered (\S+)/)) as unknown as [string, string, string];
      host = Number(pidText);
      assert.equal(answer, 'bad-request', 'the host is up and answering');
      process.kill(host, 'SIGSTOP');
      while (state(host) !== 'T') await new Promise((resolve) => setImmediate(resolve)); // the stop is asynchronous
      parent.kill('SIGKILL');
      const ms = await goneWithin(host, 1000);
      console.log(`stopped job host gone ${ms.toFixed(0)} ms after kill -9 of its agent`);
    } finally {
      parent.kill('SIGKILL');
      if (host > 0 && !gone(host)) process.kill(host, 'SIGKILL'); // a failed run must not leave its orphan behind
    }
  },
);
