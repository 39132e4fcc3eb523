import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ModelCache } from '../../main/core/runtime/model-cache.js';
import { LinkMeter } from '../../main/core/network/link-meter.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { testDevice } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test(
  'the link meter: latency from small exchanges, bandwidth from large transfers after it; long-polls and unknowns say nothing',
  { timeout: 5_000 },
  () => {
    const meter = new LinkMeter();
    assert.deepEqual(
      meter.capabilities(),
      { downloadMbps: 0, uploadMbps: 0, edgeLatencyMs: 0, natType: 'unknown' },
      'nothing measured: zeros, not guesses',
    );
    for (const ms of [40, 10, 12, 11, 900]) meter.record({ sentBytes: 200, receivedBytes: 300, ms });
    meter.record({ sentBytes: 200, receivedBytes: 300, ms: 25_000, waited: true });
    assert.equal(meter.capabilities().edgeLatencyMs, 12, 'the median, the long-poll left out');
    // 1.25 MB in 112 ms, 12 of them round trip: 100 Mbit/s.
    meter.record({ sentBytes: 100, receivedBytes: 1_250_000, ms: 112 });
    meter.record({ sentBytes: 100, receivedBytes: 1_250_000, ms: 5_000, waited: true });
    meter.record({ sentBytes: 625_000, receivedBytes: 100, ms: 212 });
    assert.deepEqual(meter.capabilities(), { downloadMbps: 100, uploadMbps: 25, edgeLatencyMs: 12, natType: 'unknown' });
  },
);

test(
  'a device measures its link on real traffic (its model download, its requests) and registers once more with the figures',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const stateFile = join(dir, 'devnet', 'state.json');
    // The devnet says when a device registers: the second time is the one with the figures.
    let registrations = 0;
    let second: () => void = () => undefined;
    const registeredTwice = new Promise<void>((resolve) => (second = resolve));
    const logger = {
      info: (line: string) => void (/registered/.test(line) && ++registrations === 2 && second()),
      warn: () => undefined,
      error: () => undefined,
    };
    const net = await startCoordinator({ stateFile, verifyRate: 0, maxLeaseWaitMs: 500, logger });
    closers.push(() => net.close());
    const meter = new LinkMeter();
    const { client } = await testDevice(net.url, { meter });
    closers.push(() => client.close());
    const registered = async () => {
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as {
        devices: Record<string, { info: { network: { downloadMbps: number; edgeLatencyMs: number } } }>;
      };
      return state.devices[client.deviceId]!.info.network;
    };
    await client.connect();
    assert.equal((await registered()).downloadMbps, 0, 'a fresh install has downloaded nothing yet (its first exchange gave a latency)');
    const outcome = await client.lease();
    assert.equal(outcome.kind, 'task');
    if (outcome.kind !== 'task') return;
    // The runtime's model cache shares the meter: the 1.1 MB model is the large transfer.
    const ports = fakePorts();
    const cache = new ModelCache({ dir: join(dir, 'models'), capBytes: 64 * 1024 ** 2, clock: ports.clock, logger: ports.logger, meter });
    assert.ok((await cache.ensure(outcome.task.model)).ok);
    await client.release(outcome.leaseId, 'shutdown', 'test over');
    await registeredTwice;
    const link = await registered();
    assert.ok(link.downloadMbps > 0 && link.edgeLatencyMs > 0, JSON.stringify(link));
    assert.equal((await client.lease()).kind, 'task', 'the new token works: the registration replaced the old one cleanly');
  },
);
