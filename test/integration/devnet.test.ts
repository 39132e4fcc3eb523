import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import { DEVNET_LABEL } from '../../main/common/network.js';
import { InfoReplySchema } from '../../main/common/protocol.js';
import { startCoordinator, type Coordinator } from '../../main/devnet/coordinator.js';
import { devnetModels, makeTask, Verifier } from '../../main/devnet/tasks.js';
import { tempDir } from '../helpers/fakes.js';
import { epochsOf, post, receiptsOf, signedRegistration, submit } from '../helpers/devnet-raw.js';
import { cpuDevice, runWithOrt } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});
async function devnet(
  stateFile: string | null = null,
  options: Parameters<typeof startCoordinator>[0] = { taskIntervalMs: null },
): Promise<Coordinator> {
  const c = await startCoordinator({ ...options, stateFile });
  closers.push(() => c.close());
  return c;
}

test('registration must be signed by the owner it names, for exactly the device info sent, recently', { timeout: 120_000 }, async () => {
  const net = await devnet();
  const owner = Wallet.createRandom();
  const good = await signedRegistration(net, owner);
  const ok = await post(net.url, 'v1/devices/register', good);
  assert.equal(ok.status, 200);
  assert.match(String(ok.json['deviceToken']), /^[0-9a-f]{64}$/);

  const someoneElse = await post(net.url, 'v1/devices/register', await signedRegistration(net, owner, Wallet.createRandom()));
  assert.deepEqual([someoneElse.status, (someoneElse.json['error'] as { code: string }).code], [403, 'bad-signature']);

  const signed = await signedRegistration(net, owner);
  const tampered = {
    ...signed,
    registration: { ...signed.registration, info: signed.registration.info.replace('"cores":2', '"cores":64') },
  };
  assert.equal((await post(net.url, 'v1/devices/register', tampered)).status, 403);

  const stale = await post(
    net.url,
    'v1/devices/register',
    await signedRegistration(net, owner, owner, { issuedAt: Date.now() - 3_600_000 }),
  );
  assert.equal(stale.status, 400);

  const replayed = await post(net.url, 'v1/devices/register', good);
  assert.deepEqual([replayed.status, (replayed.json['error'] as { code: string }).code], [409, 'replayed']);
  const other = await devnet();
  const elsewhere = await post(other.url, 'v1/devices/register', await signedRegistration(net, owner));
  assert.deepEqual([elsewhere.status, (elsewhere.json['error'] as { code: string }).code], [403, 'wrong-coordinator']);

  const thief = Wallet.createRandom();
  const stolen = await post(
    net.url,
    'v1/devices/register',
    await signedRegistration(net, thief, thief, { deviceId: good.registration.deviceId }),
  );
  assert.deepEqual([stolen.status, (stolen.json['error'] as { code: string }).code], [409, 'device-taken']);
});

test('requests are parsed: unknown tokens, bad JSON, wrong shapes and unknown routes get coded errors', { timeout: 120_000 }, async () => {
  const net = await devnet();
  assert.equal((await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, 'a'.repeat(64))).status, 401);
  const owner = Wallet.createRandom();
  const token = String((await post(net.url, 'v1/devices/register', await signedRegistration(net, owner))).json['deviceToken']);
  const badJson = await post(net.url, 'v1/lease', '{"waitMs":', token);
  assert.deepEqual([badJson.status, (badJson.json['error'] as { code: string }).code], [400, 'bad-json']);
  const badShape = await post(net.url, 'v1/lease', { waitMs: -1, resource: 'cpu' }, token);
  assert.match((badShape.json['error'] as { message: string }).message, /waitMs/);
  assert.equal((await post(net.url, 'v1/nothing', {}, token)).status, 404);
  const models = await fetch(new URL('v1/models/' + 'f'.repeat(64), net.url));
  assert.equal(models.status, 404);
});

test('tasks are real ONNX models served by hash; the verifier recomputes them with onnxruntime', { timeout: 120_000 }, async () => {
  const net = await devnet();
  const models = devnetModels();
  const issued = makeTask(models, net.url, Date.now(), 60_000);
  const result = await runWithOrt(issued.task);
  const verifier = new Verifier();
  closers.push(() => verifier.close());
  assert.equal(await verifier.check(issued, result), null);
  const y = result.outputs['Y']!;
  const off = Buffer.from(y.data);
  off.writeFloatLE(off.readFloatLE(0) + 1, 0);
  assert.match((await verifier.check(issued, { ...result, outputs: { Y: { ...y, data: off } } })) ?? '', /Y\[0\]/);
  assert.match((await verifier.check(issued, { ...result, outputs: {} })) ?? '', /missing/);
  assert.match((await verifier.check(issued, { ...result, outputs: { Y: { ...y, shape: [1, 1] } } })) ?? '', /shape/);
  const rows = BigInt(issued.task.inputs['X']!.shape[0]!);
  // Sized for 50–500 ms: a device working at 20 GFLOPS gets 7–75 rows, one at 100 GFLOPS five times as many.
  assert.ok(rows >= 7n && rows <= 75n, `${rows} rows`);
  const fast = BigInt(makeTask(models, net.url, Date.now(), 60_000, { gflops: 100 }).task.inputs['X']!.shape[0]!);
  assert.ok(fast >= 37n && fast <= 373n, `${fast} rows at 100 GFLOPS`);
  assert.equal(issued.operations, rows * 2n * (16n * 512n + 256n * 512n * 512n + 512n * 8n), 'operations come from the model graph');
});

test(
  'a long check lets other requests through between slices of rows, and finds a wrong value in a late slice',
  { timeout: 120_000 },
  async () => {
    // onnxruntime's run holds the event loop: checked in one call, a large task kept every other device's request
    // waiting (an agent's submit timed out with "socket hang up" during a 550-GFLOP check).
    const issued = makeTask(devnetModels(), 'http://127.0.0.1/', Date.now(), 60_000, { gflops: 120, random: () => 0.5 });
    const rows = issued.task.inputs['X']!.shape[0]!;
    assert.ok(rows > 60, `${rows} rows: several slices`);
    const result = await runWithOrt(issued.task);
    const verifier = new Verifier();
    closers.push(() => verifier.close());
    assert.equal(await verifier.check(issued, result), null, 'the session is made');
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const y = result.outputs['Y']!;
    const off = Buffer.from(y.data);
    const last = off.byteLength / 4 - 1;
    off.writeFloatLE(off.readFloatLE(last * 4) + 1, last * 4);
    const problem = await verifier.check(issued, { ...result, outputs: { Y: { ...y, data: off } } });
    ticking = false;
    assert.match(problem ?? '', new RegExp(`Y\\[${last}\\]`));
    assert.ok(turns >= 4, `the event loop turned ${turns} times during the check`);
  },
);

test('a released task goes back to the pool, unless the device said the task itself is bad', { timeout: 120_000 }, async () => {
  const net = await devnet();
  const owner = Wallet.createRandom();
  const token = String((await post(net.url, 'v1/devices/register', await signedRegistration(net, owner))).json['deviceToken']);
  net.addTasks(1);
  const first = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
  assert.equal(first.json['kind'], 'task');
  assert.deepEqual(
    (await post(net.url, 'v1/release', { leaseId: first.json['leaseId'], reason: 'policy-pause', message: 'user is back' }, token)).json[
      'status'
    ],
    'released',
  );
  const again = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
  assert.equal((again.json['task'] as { id: string }).id, (first.json['task'] as { id: string }).id);
  await post(net.url, 'v1/release', { leaseId: again.json['leaseId'], reason: 'invalid-task', message: 'bad' }, token);
  assert.equal((await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).json['kind'], 'none');
  assert.deepEqual(net.stats.releases, ['policy-pause', 'invalid-task']);
});

test(
  'pay follows the lease, not the result: GPU leases are paid GPU rates whatever the result says ran them; a processor cannot lease GPU work',
  { timeout: 120_000 },
  async () => {
    const net = await devnet();
    const owner = Wallet.createRandom();
    const gpu = { ...cpuDevice, deviceType: { kind: 'consumer-gpu', model: 'RTX 4070', vramGb: 12 } };
    const deviceId = 'gpu-box';
    const reg = await signedRegistration(net, owner, owner, { deviceId, info: JSON.stringify({ deviceId, owner: owner.address, ...gpu }) });
    const token = String((await post(net.url, 'v1/devices/register', reg)).json['deviceToken']);
    net.addTasks(2);
    for (const device of ['GPU-1/cuda', 'cpu/cpu']) {
      const lease = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'gpu' }, token);
      assert.equal((lease.json['task'] as { device: string }).device, 'gpu', 'a GPU lease is for a GPU, whoever the task was made for');
      const result = await runWithOrt(lease.json['task'] as Parameters<typeof runWithOrt>[0]);
      const sent = await submit(net.url, lease.json['leaseId'], { ...result, accounting: { ...result.accounting, device } }, token);
      assert.equal(sent.json['status'], 'accepted');
    }
    const compute = (await receiptsOf(net, token)).map((r) => r.resourceType).filter((t) => t === 'gpu' || t === 'cpu');
    assert.deepEqual(compute, ['gpu', 'gpu'], 'labelling a result cpu/… does not buy the CPU rate');

    const cpuToken = String((await post(net.url, 'v1/devices/register', await signedRegistration(net, owner))).json['deviceToken']);
    net.addTasks(1);
    const refused = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'gpu' }, cpuToken);
    assert.deepEqual([refused.json['kind'], refused.json['reason']], ['none', 'not-eligible']);
  },
);

test(
  'bandwidth is the bytes actually moved for the tasks: the model counts once, when the device fetched it through its lease; one receipt an epoch',
  { timeout: 120_000 },
  async () => {
    // Every fetch seals the open epoch, so each task below gets an epoch (and a bandwidth receipt) of its own.
    const net = await devnet(null, { epochMs: 0 });
    const owner = Wallet.createRandom();
    const token = String((await post(net.url, 'v1/devices/register', await signedRegistration(net, owner))).json['deviceToken']);
    const sizes: { submit: number; model: number }[] = [];
    for (let i = 0; i < 2; i++) {
      // On demand: no task was added, yet every lease gets one at once.
      const lease = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
      assert.equal(lease.json['kind'], 'task');
      const task = lease.json['task'] as Parameters<typeof runWithOrt>[0];
      assert.match(task.model.url, /\?lease=/);
      // The device downloads the model for its first task only, as the app's model cache does.
      if (i === 0) assert.equal((await (await fetch(task.model.url)).arrayBuffer()).byteLength, task.model.size);
      const result = await runWithOrt(task);
      const sent = await submit(net.url, lease.json['leaseId'], result, token);
      assert.equal(sent.json['status'], 'accepted');
      sizes.push({ submit: sent.bytes, model: i === 0 ? task.model.size : 0 });
      // The transfers since the last epoch are paid as one receipt when the epoch is sealed.
      assert.deepEqual(
        (await epochsOf(net, token)).at(-1)?.receipts.map((r) => r.resourceType),
        ['cpu', 'bandwidth'],
      );
    }
    const receipts = await receiptsOf(net, token);
    const bandwidth = receipts.filter((r) => r.resourceType === 'bandwidth').map((r) => Number(r.units));
    const compute = receipts.filter((r) => r.resourceType === 'cpu');
    assert.equal(bandwidth.length, 2, 'one bandwidth receipt per epoch');
    assert.ok(
      receipts.filter((r) => r.resourceType === 'bandwidth').every((r) => r.taskId === ''),
      "a bandwidth receipt is not one task's",
    );
    assert.ok(bandwidth[0]! > sizes[0]!.model + sizes[0]!.submit, 'the first task paid the model download');
    assert.ok(bandwidth[1]! > sizes[1]!.submit && bandwidth[1]! < sizes[0]!.model, 'the second did not: the model was cached');
    for (const r of compute)
      assert.equal(
        BigInt(r.units) % (2n * (16n * 512n + 256n * 512n * 512n + 512n * 8n)),
        0n,
        "work units are the graph's FLOPs for whole rows",
      );
    // A verifier written from docs/protocol.md alone (Python, exact integers) agrees with every receipt to the wei.
    const checked = spawnSync('python3', ['test/fixtures/verify-receipts.py'], {
      input: JSON.stringify(receipts.map((receipt) => ({ receipt }))),
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, new RegExp(`checked ${receipts.length} items: 0 problems`));
    // Once the model is cached, a task's CPU work earns several times its transfer.
    const [cpuWei, bandwidthWei] = ['cpu', 'bandwidth'].map((type) => BigInt(receipts.filter((r) => r.resourceType === type)[1]!.totalWei));
    assert.ok(cpuWei! > 2n * bandwidthWei!, `CPU work is the bulk of a task's earnings (${cpuWei} vs ${bandwidthWei} wei)`);
  },
);

test('the signing key and registered devices survive a restart', { timeout: 120_000 }, async () => {
  const stateFile = join(await tempDir(), 'devnet', 'coordinator.json');
  const first = await devnet(stateFile);
  const owner = Wallet.createRandom();
  const token = String((await post(first.url, 'v1/devices/register', await signedRegistration(first, owner))).json['deviceToken']);
  await first.close();
  const second = await devnet(stateFile);
  assert.equal(second.address, first.address);
  assert.equal((await post(second.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).status, 200);
});

test(
  'a state file written by a v1 devnet still loads: its devices keep their tokens and start a fresh standing',
  { timeout: 120_000 },
  async () => {
    const stateFile = join(await tempDir(), 'devnet', 'coordinator.json');
    const first = await devnet(stateFile);
    const owner = Wallet.createRandom();
    const token = String((await post(first.url, 'v1/devices/register', await signedRegistration(first, owner))).json['deviceToken']);
    await first.close();
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { devices: Record<string, Record<string, unknown>> };
    for (const device of Object.values(saved.devices)) {
      delete device['standing'];
      delete device['lastRegistrationAt'];
      device['reputation'] = 70;
    }
    await writeFile(stateFile, JSON.stringify(saved));
    const second = await devnet(stateFile);
    assert.equal((await post(second.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).status, 200);
  },
);

test(
  '`npm run devnet` runs it standalone: prints the label and URL, serves the protocol, stops on SIGTERM',
  { timeout: 120_000 },
  async () => {
    const data = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/devnet/standalone.ts', '--port', '0', '--data', data], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, DEVNET_LABEL);
    const url = /Coordinator: (\S+)/.exec(String((await lines.next()).value))?.[1];
    assert.ok(url);
    const info = InfoReplySchema.parse(await (await fetch(new URL('v1/info', url))).json());
    assert.equal(info.network.devnet, true);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  },
);
