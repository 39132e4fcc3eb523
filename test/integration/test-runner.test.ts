// A test file stopped by the runner (its time limit: the runner sends it SIGTERM) stops the processes it started
// with it, through the preload scripts/run-tests.mjs gives every file (test/helpers/stop-children.mjs); before, the
// agents and devnets of a file that ran out of time went on running after the suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const preload = fileURLToPath(new URL('../helpers/stop-children.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/runner/starts-a-process.mjs', import.meta.url));

test('a test file stopped by SIGTERM stops the processes it started', { timeout: 120_000 }, async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const runner = spawn(process.execPath, ['--import', preload, '--test', fixture], {
    // A runner of its own, not a part of this file's (which NODE_TEST_CONTEXT would make it).
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, PORT: String(port) },
    stdio: 'ignore',
  });
  const [socket] = (await once(server, 'connection')) as [Socket];
  const [line] = (await once(socket, 'data')) as [Buffer];
  const [child = 0, file = 0] = line.toString().trim().split(' ').map(Number);
  try {
    process.kill(file, 'SIGTERM'); // as the runner stops a file that ran out of time
    await once(socket, 'close'); // the file's own process ended with it
    const [code] = (await once(runner, 'exit')) as [number];
    assert.notEqual(code, 0, 'the stopped file fails the run');
  } finally {
    // Should the child outlive its file, the test has failed: it is not left running.
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
    runner.kill('SIGKILL');
    server.close();
  }
});
