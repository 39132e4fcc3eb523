// Issue 28 item 8, where a unit test is the honest level: a refused connection (coordinator or payout chain) is said in
// words (not "(ECONNREFUSED)"), a limit of one day reads "1 day", the Light preset's pause on a busy machine is undone
// in one click, and the badge says "Offline" while the network cannot be reached.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { z } from 'zod';
import { fieldErrors } from '../../main/common/result.js';
import { DEFAULT_SETTINGS, PRESETS, SettingsSchema } from '../../main/common/settings.js';
import type { AgentState } from '../../main/common/state.js';
import { requestJson, type NetworkError } from '../../main/core/network/http.js';
import { connectChain } from '../../main/core/wallet/chain.js';
import { FakeClock } from '../helpers/fakes.js';
import { t } from '../../renderer/src/i18n/en.js';
import { overall } from '../../renderer/src/lib/status.js';

const opts = { timeout: 10_000 };

/** A port that was free a moment ago: nothing listens there, so a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a coordinator that refuses the connection is said in plain words, without the system error code', opts, async () => {
  const port = await closedPort();
  const url = new URL(`http://127.0.0.1:${port}/v1/info`);
  await assert.rejects(requestJson(url, { method: 'GET', timeoutMs: 5000, maxBytes: 1000, schema: z.unknown() }), (e: NetworkError) => {
    assert.equal(e.code, 'OFFLINE');
    assert.equal(e.message, `Cannot reach 127.0.0.1:${port}: the server refused the connection.`);
    assert.doesNotMatch(e.message, /E[A-Z]{4,}/);
    return true;
  });
});

test('a payout chain that refuses the connection is said in plain words too', opts, async () => {
  const port = await closedPort();
  const chain = {
    rpcUrl: `http://127.0.0.1:${port}`,
    chainId: 31337,
    tokenAddress: `0x${'1'.repeat(40)}`,
    payoutAddress: `0x${'2'.repeat(40)}`,
  };
  await assert.rejects(connectChain(chain, { clock: new FakeClock(), timeoutMs: 5000 }), (e: Error) => {
    assert.equal(
      e.message,
      `Cannot reach the chain at http://127.0.0.1:${port}: the server refused the connection. Check the RPC URL and that the node is running.`,
    );
    return true;
  });
});

test('a limit of one reads as one: "At least 1 day", "At least 1 minute"', opts, () => {
  const errors = (patch: object) => {
    const parsed = SettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...patch });
    assert.ok(!parsed.success);
    return fieldErrors(parsed.error);
  };
  assert.equal(errors({ receiptDetailDays: 0 })['receiptDetailDays'], 'At least 1 day');
  assert.equal(errors({ idleOnly: { enabled: true, minutes: 0 } })['idleOnly.minutes'], 'At least 1 minute');
  assert.equal(errors({ receiptDetailDays: 400 })['receiptDetailDays'], 'At most 365 days');
  assert.equal(errors({ diskBudgetGiB: 0 })['diskBudgetGiB'], 'At least 1 GiB');
});

const sharing = (over: Partial<AgentState['work']>, devices: AgentState['decision']): AgentState =>
  ({
    sharing: true,
    status: { code: 'paused', reason: 'Paused: your programs use 90 % CPU (> 60 %).' },
    decision: devices,
    work: { blocker: null, network: { code: 'connected', message: 'Connected' }, tasks: [], notices: [], earned: null, ...over },
    wallet: { wallet: { state: 'ready' } },
  }) as unknown as AgentState;

test('the Light preset pausing on a busy machine is undone by one click, not a link to Settings', opts, () => {
  const busy = sharing({}, {
    at: 1,
    devices: [
      {
        deviceId: 'cpu',
        kind: 'cpu',
        run: false,
        limits: {},
        reasons: [{ code: 'USER_BUSY', message: 'Paused: your programs use 90 % CPU (> 60 %).', blocking: true }],
      },
    ],
  } as unknown as AgentState['decision']);
  assert.equal(PRESETS.light.pauseWhenUserCpuAbovePercent, 60, 'the Light preset adds the pause');
  const status = overall('connected', busy);
  assert.equal(status.code, 'paused');
  assert.deepEqual(status.fix, { label: 'Keep sharing while my programs are busy', patch: { pauseWhenUserCpuAbovePercent: null } });
});

test('the badge says "Offline" while the network cannot be reached, and while the page cannot reach the app', opts, () => {
  const offline = sharing(
    { network: { code: 'offline', message: 'Cannot reach 127.0.0.1:9: the server refused the connection.' } } as never,
    {
      at: 1,
      devices: [{ deviceId: 'cpu', kind: 'cpu', run: true, limits: {}, reasons: [] }],
    } as unknown as AgentState['decision'],
  );
  const status = overall('connected', offline);
  assert.equal(status.code, 'offline');
  assert.equal(t.status.codes[status.code], 'Offline');
  assert.equal(status.fix?.label, 'Check the network address');
  assert.equal(t.status.codes[overall('lost', offline).code], 'Offline');
});
