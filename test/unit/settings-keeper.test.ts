import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import { SettingsKeeper } from '../../main/core/settings/settings-keeper.js';
import { SettingsStore } from '../../main/core/settings/store.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

/** A keeper on a real store in a fresh folder, whose change callback does what the test says. */
async function keeperWith(changed: (before: Settings, next: Settings) => Promise<void>) {
  const store = new SettingsStore(join(await tempDir(), 'settings.json'), new FakeClock());
  return { store, keeper: new SettingsKeeper(store, DEFAULT_SETTINGS, { logger: new MemoryLogger(), changed }) };
}

test('a change callback that throws once fails that change only: later saves work and take effect', { timeout: 60_000 }, async () => {
  let throwNext = true;
  const applied: number[] = [];
  const { store, keeper } = await keeperWith(async (_before, next) => {
    if (throwNext) {
      throwNext = false;
      throw new Error('the policy tick failed');
    }
    applied.push(next.cpuSharePercent);
  });
  await assert.rejects(keeper.patch({ cpuSharePercent: 30 }), /the policy tick failed/);
  const later = await keeper.patch({ cpuSharePercent: 40 });
  assert.ok(later.ok, 'the next save is not held up by the earlier failure');
  assert.equal(later.value.cpuSharePercent, 40);
  assert.equal(keeper.settings.cpuSharePercent, 40);
  assert.deepEqual(applied, [40]);
  assert.equal((await store.load()).settings.cpuSharePercent, 40, 'and it is on disk');
  await keeper.settled(); // resolves, though a change before failed
});

test('quick changes are saved and applied one at a time, in order', { timeout: 60_000 }, async () => {
  const seen: [number, number][] = [];
  const { store, keeper } = await keeperWith(async (before, next) => void seen.push([before.cpuSharePercent, next.cpuSharePercent]));
  const saves = [keeper.patch({ cpuSharePercent: 10 }), keeper.patch({ cpuSharePercent: 20 }), keeper.patch({ cpuSharePercent: 30 })];
  assert.deepEqual(
    (await Promise.all(saves)).map((r) => r.ok),
    [true, true, true],
  );
  await keeper.settled();
  assert.deepEqual(seen, [
    [DEFAULT_SETTINGS.cpuSharePercent, 10],
    [10, 20],
    [20, 30],
  ]);
  assert.equal((await store.load()).settings.cpuSharePercent, 30);
});

test('two quick patches of different fields both stand: each is merged over the one before it', { timeout: 60_000 }, async () => {
  const { store, keeper } = await keeperWith(async () => undefined);
  const sharing = keeper.patch({ sharing: !DEFAULT_SETTINGS.sharing });
  const share = keeper.patch({ cpuSharePercent: 35 });
  await Promise.all([sharing, share]);
  assert.equal(keeper.settings.sharing, !DEFAULT_SETTINGS.sharing, 'the second patch did not undo the first');
  assert.equal(keeper.settings.cpuSharePercent, 35);
  assert.deepEqual((await store.load()).settings, keeper.settings);
});
