import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import type { AgentEvent } from '../../main/common/state.js';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../main/common/wire.js';
import { DOOR_LIMITS } from '../../main/core/server/connection-guard.js';
import { startServer, type RunningServer } from '../../main/core/server/http.js';
import { testAgent } from '../helpers/agent.js';
import { MemoryLogger } from '../helpers/fakes.js';

let server: RunningServer;
let origin: string;
const logger = new MemoryLogger();

before(async () => {
  const { agent, dir } = await testAgent();
  const rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  // One folder above the UI: what a traversal would reach.
  await writeFile(join(dir, 'secret.txt'), 'outside');
  server = await startServer({ agent, logger, rendererDir, port: 0 });
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

test('the link carries a 256-bit token in the fragment, on loopback', { timeout: 120_000 }, () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);
});

test('the UI is served with a strict CSP and no-sniff', { timeout: 120_000 }, async () => {
  const page = await raw('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>ui<\/title>/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'.*frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const js = await raw('/assets/app.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
});

test('paths cannot leave the renderer folder', { timeout: 120_000 }, async () => {
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f..%2fsecret.txt', '/nope.js', '/%E0%A4%A']) {
    assert.equal((await raw(path)).status, 404, path);
  }
});

test('a call with the token works; without or with a wrong one it is refused', { timeout: 120_000 }, async () => {
  const good = await rpc({ cmd: 'getState' });
  assert.equal(good.status, 200);
  assert.equal(JSON.parse(good.body).value.mode, 'headless');
  for (const authorization of ['', 'Bearer nope', `Bearer ${server.token}x`, server.token]) {
    const refused = await rpc({ cmd: 'getState' }, { authorization });
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).error.code, 'UNAUTHORIZED');
  }
});

test('a foreign Host (DNS rebinding) or Origin (CSRF) is refused before anything else', { timeout: 120_000 }, async () => {
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

test('malformed, oversized and wrong-method requests get coded errors', { timeout: 120_000 }, async () => {
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

test('the event socket needs the token and a same-origin page', { timeout: 120_000 }, async () => {
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

test('the event socket sends the state at once, then every change', { timeout: 120_000 }, async () => {
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

/** A connection of our own, to send what no well-behaved client library would (two Host headers, nothing at all). */
async function open(first?: string): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  if (first) socket.write(first);
  return socket;
}

/** Everything the agent sends on `socket` until it closes it. */
async function answer(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk) => (text += chunk));
  await once(socket, 'close');
  return text;
}

const head = (lines: string[]): string => [...lines, '', ''].join('\r\n');

test(
  'a request with two Host headers is refused, whichever comes first; so are two Origins or Authorizations',
  { timeout: 30_000 },
  async () => {
    const host = `Host: 127.0.0.1:${server.port}`;
    const auth = `Authorization: Bearer ${server.token}`;
    for (const twice of [
      [host, 'Host: evil.example'],
      ['Host: evil.example', host],
      [host, host],
      [host, `Origin: ${origin}`, 'Origin: http://evil.example'],
      [host, auth, 'Authorization: Bearer nope'],
    ]) {
      const socket = await open(
        head(['POST /api/rpc HTTP/1.1', ...twice, 'Content-Type: application/json', 'Content-Length: 17']) + '{"cmd":"getState"}',
      );
      const text = await answer(socket);
      assert.match(text, /^HTTP\/1\.1 400 /, twice.join(' | '));
      assert.match(text, /more than once/);
    }
    const once = await answer(
      await open(
        head(['POST /api/rpc HTTP/1.1', host, auth, 'Content-Type: application/json', 'Content-Length: 18', 'Connection: close']) +
          '{"cmd":"getState"}',
      ),
    );
    assert.match(once, /^HTTP\/1\.1 200 /);
  },
);

test(
  'a request refused for its token is answered and its connection closed, without waiting for its body',
  { timeout: 30_000 },
  async () => {
    // Announces a body it never sends: the refusal must not wait for it.
    const socket = await open(
      head(['POST /api/rpc HTTP/1.1', `Host: 127.0.0.1:${server.port}`, 'Content-Type: application/json', 'Content-Length: 60000']),
    );
    const text = await answer(socket);
    assert.match(text, /^HTTP\/1\.1 401 /);
    assert.match(text, /Connection: close/i);
  },
);

test(
  'past the cap on connections without the token the oldest are closed; a connection with the token stays',
  { timeout: 60_000 },
  async () => {
    const trusted = await open();
    const replies: string[] = [];
    trusted.on('data', (chunk) => replies.push(String(chunk)));
    const call =
      head([
        'POST /api/rpc HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        `Authorization: Bearer ${server.token}`,
        'Content-Type: application/json',
        'Content-Length: 18',
      ]) + '{"cmd":"getState"}';
    const answered = async (): Promise<void> => {
      const before = replies.length;
      trusted.write(call);
      while (replies.length === before) await once(trusted, 'data');
    };
    await answered();
    const linesBefore = logger.lines.length;
    const idle = await Promise.all(Array.from({ length: DOOR_LIMITS.anonymous * 2 }, () => open()));
    const closed = idle.map((socket) => once(socket, 'close').then(() => true));
    // The first half is the oldest: all of them go, the newest half stays.
    await Promise.all(closed.slice(0, DOOR_LIMITS.anonymous));
    const stillOpen = idle.slice(DOOR_LIMITS.anonymous).filter((socket) => !socket.destroyed && socket.readyState === 'open').length;
    assert.equal(stillOpen, DOOR_LIMITS.anonymous, 'the newest stay until their own time is up');
    await answered();
    assert.match(replies.at(-1)!, /^HTTP\/1\.1 200 /, 'the connection with the token is still served');
    const said = logger.lines.slice(linesBefore);
    assert.ok(said.length <= 1, `one line at most for ${DOOR_LIMITS.anonymous} closed connections, got ${said.length}`);
    for (const socket of [...idle, trusted]) socket.destroy();
  },
);

test('event sockets past the cap are refused with 503', { timeout: 60_000 }, async () => {
  const open = Array.from({ length: DOOR_LIMITS.eventSockets }, () => socket([WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin }));
  await Promise.all(open.map((ws) => once(ws, 'open')));
  const extra = socket([WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin });
  const [error] = await once(extra, 'error');
  assert.match(String(error), /Unexpected server response: 503/);
  open[0]!.close();
  await once(open[0]!, 'close');
  const again = socket([WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin });
  await once(again, 'open');
  for (const ws of [...open, again]) ws.terminate();
});

test('headers sent a line at a time and a body sent a byte at a time are cut off with 408', { timeout: 40_000 }, async () => {
  const host = `Host: 127.0.0.1:${server.port}`;
  const slowloris = await open(`GET / HTTP/1.1\r\n${host}\r\n`);
  const slowBody = await open(
    head([
      'POST /api/rpc HTTP/1.1',
      host,
      `Authorization: Bearer ${server.token}`,
      'Content-Type: application/json',
      'Content-Length: 60000',
    ]),
  );
  // Never finished, never idle: one more line or byte a second (older Node let this go on for 90 s and more).
  const trickle = setInterval(() => {
    if (!slowloris.destroyed) slowloris.write('X-Slow: 1\r\n');
    if (!slowBody.destroyed) slowBody.write(' ');
  }, 1000);
  try {
    const [headers, body] = await Promise.all([answer(slowloris), answer(slowBody)]);
    assert.match(headers, /^HTTP\/1\.1 408 /);
    assert.match(body, /^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(trickle);
  }
});
