import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../main/common/wire.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

/**
 * Hostile frames from an authenticated client, against the real headless agent (a separate process): each one
 * used to end the agent with an unhandled 'error' event. After every frame the agent must still answer.
 */
let agent: Headless;
let port: number;

before(async () => {
  agent = await startHeadless(await tempDir('synor-ws-'), ['--import', 'tsx', 'main/core/headless.ts', '--port', '0']);
  port = Number(new URL(agent.origin).port);
});
after(() => agent.stop());

/** One frame as RFC 6455 §5.2 lays it out; `mask: false` makes the client frame illegal. */
function frame(first: number, payload: Buffer, options: { mask?: boolean; length?: Buffer } = {}): Buffer {
  const mask = options.mask ?? true;
  const n = payload.length;
  const length =
    options.length ??
    (n < 126 ? Buffer.from([n]) : n < 65536 ? Buffer.concat([Buffer.from([126]), Buffer.from([n >> 8, n & 255])]) : Buffer.alloc(0));
  length[0] = length[0]! | (mask ? 0x80 : 0);
  if (!mask) return Buffer.concat([Buffer.from([first]), length, payload]);
  const key = randomBytes(4);
  return Buffer.concat([Buffer.from([first]), length, key, payload.map((byte, i) => byte ^ key[i % 4]!)]);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const FIN = 0x80;
const CASES: [string, Buffer][] = [
  ['a text message over the 1 KB limit', frame(FIN | 0x1, Buffer.alloc(2000, 'a'))],
  ['invalid UTF-8 in a text frame', frame(FIN | 0x1, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xff]))],
  ['an unmasked client frame', frame(FIN | 0x1, Buffer.from('hi'), { mask: false })],
  ['reserved opcode 3', frame(FIN | 0x3, Buffer.alloc(0))],
  ['RSV1 set without permessage-deflate', frame(FIN | 0x40 | 0x1, Buffer.from('hi'))],
  ['a 126-byte ping', frame(FIN | 0x9, Buffer.alloc(126))],
  ['a fragmented ping', frame(0x9, Buffer.from('x'))],
  ['close code 999', frame(FIN | 0x8, u16(999))],
  [
    'a 64-bit length past 2^53',
    frame(FIN | 0x2, Buffer.alloc(0), { length: Buffer.from([127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }),
  ],
];

/** Opens the event socket by hand (the token rides in the subprotocol list) and waits for the 101. */
async function handshake(): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    [
      `GET ${WS_PATH} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Origin: ${agent.origin}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${agent.token}`,
      '',
      '',
    ].join('\r\n'),
  );
  let head = '';
  while (!head.includes('\r\n\r\n')) head += String((await once(socket, 'data'))[0]);
  assert.match(head, /^HTTP\/1\.1 101 /);
  return socket;
}

/** Resolves when the agent has closed this connection (it must close it, not die). */
const closedByAgent = (socket: Socket) =>
  new Promise<void>((resolve) => {
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => resolve());
  });

for (const [what, bytes] of CASES) {
  test(`${what}: the connection is closed and the agent keeps answering`, { timeout: 60_000 }, async () => {
    const socket = await handshake();
    const closed = closedByAgent(socket);
    socket.write(bytes);
    await closed;
    assert.equal(agent.child.exitCode, null, `the agent died:\n${agent.output()}`);
    const answer = (await rpc(agent, 'getState')) as { ok: boolean };
    assert.equal(answer.ok, true);
  });
}

test('a malformed HTTP request gets a 400 and the agent keeps answering', { timeout: 60_000 }, async () => {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const closed = closedByAgent(socket);
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Without Colon\r\n\r\n');
  await closed;
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal(((await rpc(agent, 'getState')) as { ok: boolean }).ok, true);
});
