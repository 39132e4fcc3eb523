import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import type { AgentEvent } from '../../main/common/state.js';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../main/common/wire.js';
import { startServer, type RunningServer } from '../../main/core/server/http.js';
import { testAgent } from '../helpers/agent.js';
import { MemoryLogger } from '../helpers/fakes.js';

let server: RunningServer;
let origin: string;

before(async () => {
  const { agent, dir } = await testAgent();
  const rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  // One folder above the UI: what a traversal would reach.
  await writeFile(join(dir, 'secret.txt'), 'outside');
  server = await startServer({ agent, logger: new MemoryLogger(), rendererDir, port: 0 });
  origin = `http://127.0.0.1:${server.port}`;
});
after(() => server.close());

/** A raw request, so tests can send the headers a hostile page or a rebinding attack would. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const rpc = (body: unknown, headers: Record<string, string> = {}) =>
  raw('/api/rpc', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('the link carries a 256-bit token in the fragment, on loopback', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);
});

test('the UI is served with a strict CSP and no-sniff', async () => {
  const page = await raw('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>ui<\/title>/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'.*frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const js = await raw('/assets/app.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
});

test('paths cannot leave the renderer folder', async () => {
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f..%2fsecret.txt', '/nope.js', '/%E0%A4%A']) {
    assert.equal((await raw(path)).status, 404, path);
  }
});

test('a call with the token works; without or with a wrong one it is refused', async () => {
  const good = await rpc({ cmd: 'getState' });
  assert.equal(good.status, 200);
  assert.equal(JSON.parse(good.body).value.mode, 'headless');
  for (const authorization of ['', 'Bearer nope', `Bearer ${server.token}x`, server.token]) {
    const refused = await rpc({ cmd: 'getState' }, { authorization });
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).error.code, 'UNAUTHORIZED');
  }
});

test('a foreign Host (DNS rebinding) or Origin (CSRF) is refused before anything else', async () => {
  for (const headers of [
    { host: 'evil.example' },
    { host: `evil.example:${server.port}` },
    { origin: 'http://evil.example' },
    { origin: 'null' },
  ]) {
    const refused = await rpc({ cmd: 'getState' }, headers);
    assert.equal(refused.status, 403, JSON.stringify(headers));
    assert.equal(JSON.parse(refused.body).error.code, 'FORBIDDEN');
  }
  assert.equal((await raw('/', { headers: { host: 'evil.example' } })).status, 403);
  assert.equal((await rpc({ cmd: 'getState' }, { origin, host: `localhost:${server.port}` })).status, 200);
});

test('malformed, oversized and wrong-method requests get coded errors', async () => {
  assert.equal(JSON.parse((await rpc('{not json')).body).error.code, 'BAD_REQUEST');
  assert.equal(JSON.parse((await rpc({ cmd: 'x'.repeat(70_000) })).body).error.code, 'BAD_REQUEST');
  assert.equal((await rpc({ cmd: 'getState' }, { 'content-type': 'text/plain' })).status, 400);
  assert.equal((await raw('/api/rpc')).status, 400);
  const invalid = await rpc({ cmd: 'updateSettings', args: { cpuSharePercent: -1 } });
  assert.equal(invalid.status, 422);
  assert.ok(JSON.parse(invalid.body).error.fields.cpuSharePercent);
});

const socket = (protocols: string[], headers: Record<string, string> = {}) =>
  new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, protocols, { headers });

test('the event socket needs the token and a same-origin page', async () => {
  for (const [protocols, headers] of [
    [[WS_PROTOCOL], {}],
    [[WS_PROTOCOL, `${WS_TOKEN_PREFIX}wrong`], {}],
    [[WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin: 'http://evil.example' }],
  ] as const) {
    const ws = socket([...protocols], headers);
    const [error] = await once(ws, 'error');
    assert.match(String(error), /Unexpected server response: 40[13]/);
  }
});

test('the event socket sends the state at once, then every change', async () => {
  const ws = socket([WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin });
  const received: AgentEvent[] = [];
  const gotState = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as AgentEvent;
      received.push(event);
      if (event.type === 'state' && event.state.sharing) resolve();
    }),
  );
  await once(ws, 'open');
  assert.equal(ws.protocol, WS_PROTOCOL);
  await rpc({ cmd: 'setShare', args: { on: true } });
  await gotState;
  assert.equal(received[0]?.type, 'state');
  assert.ok(received.some((event) => event.type === 'activity' && event.entry.message === 'Sharing turned on'));
  ws.send('hello');
  const [code] = await once(ws, 'close');
  assert.equal(code, 1008, 'the socket is push-only');
});
