import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { AgentStateSchema } from '../../main/common/state.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { testAgent } from '../helpers/agent.js';

test('requests that are not { cmd, args } are refused with a code', { timeout: 120_000 }, async () => {
  const { agent } = await testAgent();
  for (const bad of [null, 'getState', [], { cmd: 1 }, { cmd: 'getState', args: {}, extra: 1 }]) {
    const result = await agent.call(bad);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'BAD_REQUEST');
  }
  const unknown = await agent.call({ cmd: 'deleteEverything', args: {} });
  assert.deepEqual(!unknown.ok && unknown.error.code, 'UNKNOWN_COMMAND');
  const proto = await agent.call({ cmd: '__proto__', args: {} });
  assert.deepEqual(!proto.ok && proto.error.code, 'UNKNOWN_COMMAND');
});

test('getState answers a state that matches the contract', { timeout: 120_000 }, async () => {
  const { agent } = await testAgent();
  const result = await agent.call({ cmd: 'getState' });
  assert.ok(result.ok);
  const state = AgentStateSchema.parse(result.value);
  assert.equal(state.sharing, false);
  assert.equal(state.status.code, 'off');
});

test('setShare persists, publishes the new state and logs the change with its reason', { timeout: 120_000 }, async () => {
  const { agent, events, paths } = await testAgent();
  const result = await agent.call({ cmd: 'setShare', args: { on: true } });
  assert.ok(result.ok);
  assert.equal(agent.state().sharing, true);
  const onDisk = JSON.parse(await readFile(join(paths.configDir, 'settings.json'), 'utf8'));
  assert.equal(onDisk.sharing, true);
  assert.deepEqual(
    events.filter((e) => e.type === 'activity').map((e) => e.type === 'activity' && [e.entry.kind, e.entry.message]),
    [
      ['share', 'Sharing turned on'],
      ['policy', 'Ready: your CPU may work; waiting for tasks from the network.'],
    ],
  );
  const last = events.at(-1);
  assert.ok(last?.type === 'state' && last.state.sharing && last.state.status.code === 'waiting');
  assert.equal(last.state.decision?.devices[0]?.run, true);
});

test('invalid settings give field errors and change nothing, in memory or on disk', { timeout: 120_000 }, async () => {
  const { agent, paths, events } = await testAgent();
  const result = await agent.call({ cmd: 'updateSettings', args: { cpuSharePercent: 150, idleOnly: { enabled: true, minutes: 0 } } });
  assert.ok(!result.ok);
  assert.equal(result.error.code, 'VALIDATION');
  assert.deepEqual(Object.keys(result.error.fields ?? {}).sort(), ['cpuSharePercent', 'idleOnly.minutes']);
  assert.match(result.error.fields?.['cpuSharePercent'] ?? '', /At most 100/);
  assert.deepEqual(agent.settings(), DEFAULT_SETTINGS);
  await assert.rejects(readFile(join(paths.configDir, 'settings.json')), { code: 'ENOENT' });
  assert.deepEqual(
    events.filter((e) => e.type === 'activity'),
    [],
  );
});

test('a patch carrying an explicit undefined (possible over IPC) is refused, not merged', { timeout: 120_000 }, async () => {
  const { agent } = await testAgent();
  const result = await agent.call({ cmd: 'updateSettings', args: { sharing: undefined } });
  assert.ok(!result.ok && result.error.code === 'VALIDATION');
});

test('valid settings are saved and survive a new agent over the same folder', { timeout: 120_000 }, async () => {
  const first = await testAgent();
  const saved = await first.agent.call({ cmd: 'updateSettings', args: { cpuSharePercent: 75 } });
  assert.ok(saved.ok);
  const second = await testAgent(first.dir);
  assert.equal(second.agent.settings().cpuSharePercent, 75);
});

test('a settings file that cannot be written gives a STORAGE error and keeps the old values', { timeout: 120_000 }, async () => {
  const { agent, paths } = await testAgent();
  await rm(paths.configDir, { recursive: true, force: true });
  await writeFile(paths.configDir, 'a file where the folder should be');
  const result = await agent.call({ cmd: 'setShare', args: { on: true } });
  assert.ok(!result.ok);
  assert.equal(result.error.code, 'STORAGE');
  assert.match(result.error.message, /could not be saved/);
  assert.equal(agent.state().sharing, false);
});

test('a corrupt settings file becomes a notice the user can dismiss', { timeout: 120_000 }, async () => {
  const { dir } = await testAgent();
  await mkdir(join(dir, 'config'), { recursive: true });
  await writeFile(join(dir, 'config', 'settings.json'), '{ oops');
  const { agent, ports } = await testAgent(dir);
  const [notice] = agent.state().notices;
  assert.equal(notice?.code, 'SETTINGS_UNUSABLE');
  assert.ok(ports.logger.lines.some((line) => line.startsWith('error') && line.includes('not valid JSON')));
  const activity = await agent.call({ cmd: 'getActivity' });
  assert.ok(activity.ok && JSON.stringify(activity.value).includes('not valid JSON'));
  const dismissed = await agent.call({ cmd: 'dismissNotice', args: { id: notice.id } });
  assert.ok(dismissed.ok);
  assert.deepEqual(agent.state().notices, []);
});

test('quick successive edits are all applied, in order', { timeout: 120_000 }, async () => {
  const { agent, paths } = await testAgent();
  await Promise.all([10, 20, 30, 40].map((cpuSharePercent) => agent.call({ cmd: 'updateSettings', args: { cpuSharePercent } })));
  assert.equal(agent.settings().cpuSharePercent, 40);
  const onDisk = JSON.parse(await readFile(join(paths.configDir, 'settings.json'), 'utf8'));
  assert.equal(onDisk.cpuSharePercent, 40);
});

test(
  'the policy loop: user input pauses at the next tick, sleep pauses at once, each change logged once',
  { timeout: 120_000 },
  async () => {
    const { agent, ports } = await testAgent();
    await agent.call({ cmd: 'updateSettings', args: { sharing: true, idleOnly: { enabled: true, minutes: 10 } } });
    assert.equal(agent.state().decision?.devices[0]?.run, true);
    ports.os.idleSeconds = 2;
    ports.clock.advance(1000);
    await agent.tick();
    assert.equal(agent.state().status.reason, 'Waiting: 0 of 10 idle minutes.');
    ports.os.idleSeconds = 3600;
    await agent.tick();
    ports.os.emit('suspend');
    await agent.tick();
    assert.equal(agent.state().status.code, 'paused');
    assert.match(agent.state().status.reason, /going to sleep/);
    const activity = await agent.call({ cmd: 'getActivity' });
    assert.ok(activity.ok);
    const policy = (activity.value as { kind: string; message: string }[]).filter((e) => e.kind === 'policy').map((e) => e.message);
    assert.deepEqual(policy.slice(-3), [
      'Waiting: 0 of 10 idle minutes.',
      'Ready: your CPU may work; waiting for tasks from the network.',
      'Paused: the computer is going to sleep.',
    ]);
    await agent.close();
  },
);

test('presets apply their limits in one step', { timeout: 120_000 }, async () => {
  const { agent } = await testAgent();
  const result = await agent.call({ cmd: 'applyPreset', args: { name: 'light' } });
  assert.ok(result.ok);
  assert.equal(agent.settings().cpuSharePercent, 25);
  assert.equal(agent.settings().power.mode, 'efficiency');
  const bad = await agent.call({ cmd: 'applyPreset', args: { name: 'turbo' } });
  assert.ok(!bad.ok && bad.error.code === 'VALIDATION');
});

test('hardware is detected in the background and published; a WebGPU report is parsed by the agent', { timeout: 120_000 }, async () => {
  const { agent, events } = await testAgent();
  await new Promise<void>((resolve) => {
    if (agent.state().hardware) resolve();
    agent.subscribe((event) => event.type === 'state' && event.state.hardware && resolve());
  });
  const hardware = await agent.call({ cmd: 'getHardware' });
  assert.ok(hardware.ok);
  const snapshot = agent.state().hardware!;
  assert.equal(snapshot.provider.reason, 'fake probe');
  assert.deepEqual(
    snapshot.devices.map((d) => d.type.kind),
    ['Cpu'],
  );
  assert.ok(events.some((e) => e.type === 'state' && e.state.hardware !== null));
  const junk = await agent.call({ cmd: 'submitWebGpuReport', args: { report: { adapter: 'nope' } } });
  assert.ok(!junk.ok && junk.error.code === 'VALIDATION');
  await agent.close();
});

test('the activity log survives a restart, checksummed, and a torn last line is cut off and kept aside', { timeout: 120_000 }, async () => {
  const first = await testAgent();
  await first.agent.call({ cmd: 'setShare', args: { on: true } });
  await first.agent.close();
  const file = join(first.paths.dataDir, 'activity.jsonl');
  await appendFile(file, '{"torn'); // a crash in the middle of an append
  const second = await testAgent(first.dir);
  const activity = await second.agent.call({ cmd: 'getActivity' });
  assert.ok(activity.ok && (activity.value as { message: string }[]).some((e) => e.message === 'Sharing turned on'));
  const aside = (await readdir(first.paths.dataDir)).filter((name) => name.startsWith('activity.jsonl.torn-'));
  assert.equal(aside.length, 1);
  assert.ok(
    (await readFile(file, 'utf8'))
      .split('\n')
      .slice(0, -1)
      .every((line) => /^[0-9a-f]{64} \{/.test(line)),
  );
  await second.agent.close();
});
