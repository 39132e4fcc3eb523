// When the embedded devnet may rest (devnet-keeper.ts), with a fake clock: each need keeps it up for the idle time
// from then, the owner hears once when that time passed with no need, and the address it had is read back (a damaged
// record only costs that address). Starting and stopping the real process is test/integration/devnet-rest.test.ts.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DevnetKeeper, devnetIdleMs } from '../../main/core/devnet-keeper.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

async function keeper(idleMs = 60_000) {
  const clock = new FakeClock();
  const dir = await tempDir();
  let idle = 0;
  const k = new DevnetKeeper({ dir, clock, logger: new MemoryLogger(), idleMs, onIdle: () => idle++ });
  return { k, clock, dir, idled: () => idle };
}

test(
  'each need keeps the devnet wanted for the idle time from then; the owner hears once when it passed',
  { timeout: 60_000 },
  async () => {
    const { k, clock, idled } = await keeper();
    assert.equal(k.wanted(), false, 'nothing needed it yet');
    k.needed();
    clock.advance(40_000);
    assert.equal(k.wanted(), true);
    k.needed(); // sharing ticks, a claim: the minute starts again
    clock.advance(40_000);
    assert.equal(k.wanted(), true);
    assert.equal(idled(), 0);
    clock.advance(20_000);
    assert.equal(k.wanted(), false);
    assert.equal(idled(), 1, 'told once, not once per need');
    clock.advance(600_000);
    assert.equal(idled(), 1);
    k.needed();
    k.close();
    clock.advance(600_000);
    assert.equal(idled(), 1, 'nothing is told after close');
  },
);

test('the address it had is read back; a damaged or missing record is no address', { timeout: 60_000 }, async () => {
  const { k, dir } = await keeper();
  assert.equal(await k.lastAddress(), null);
  await mkdir(dir, { recursive: true });
  const ready = {
    type: 'ready',
    url: 'http://127.0.0.1:7440',
    chain: { rpcUrl: 'http://127.0.0.1:7441', chainId: 31337, tokenAddress: `0x${'1'.repeat(40)}`, payoutAddress: `0x${'2'.repeat(40)}` },
  };
  await writeFile(join(dir, 'address.json'), JSON.stringify(ready));
  assert.equal((await k.lastAddress())?.url, 'http://127.0.0.1:7440');
  await writeFile(join(dir, 'address.json'), '{"type":"ready","url":');
  assert.equal(await k.lastAddress(), null);
});

test('the idle time comes from SYNOR_DEVNET_IDLE_SECONDS, a minute unless it is a number of seconds', { timeout: 60_000 }, () => {
  assert.equal(devnetIdleMs({}), 60_000);
  assert.equal(devnetIdleMs({ SYNOR_DEVNET_IDLE_SECONDS: '2' }), 2000);
  assert.equal(devnetIdleMs({ SYNOR_DEVNET_IDLE_SECONDS: 'soon' }), 60_000);
  assert.equal(devnetIdleMs({ SYNOR_DEVNET_IDLE_SECONDS: '-1' }), 60_000);
});
