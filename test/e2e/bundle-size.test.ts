import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/headless.js';
import { BUDGET_BYTES, bundleSizes } from '../../scripts/bundle-size.mjs';

test('the built renderer JavaScript stays within 150 KB gzip (lazy chunks included)', { timeout: 300_000 }, () => {
  const sizes = bundleSizes();
  const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
  console.log(`# renderer JS: ${(total / 1024).toFixed(1)} KB gzip in ${sizes.length} files`);
  assert.ok(sizes.length > 0, 'no build found: run npm run build');
  assert.ok(total <= BUDGET_BYTES, `${total} bytes > ${BUDGET_BYTES}`);
});

test('the Node bundles are ASCII, so V8 keeps their source at one byte a character', { timeout: 60_000 }, () => {
  // One ® in a regular expression held the headless agent's 1.2 MB source at two bytes a character: 1.2 MB more of
  // the always-on agent's memory, for as long as it runs.
  const dir = join(ROOT, 'dist', 'main');
  const bundles = readdirSync(dir).filter((name) => /\.c?js$/.test(name));
  assert.ok(bundles.includes('headless.js'), 'no build found: run npm run build');
  for (const name of bundles) {
    const text = readFileSync(join(dir, name), 'latin1');
    const at = text.search(/[\x80-\xff]/); // read as latin1: one character a byte
    const around = Buffer.from(text, 'latin1').subarray(Math.max(0, at - 60), at + 20);
    assert.equal(at, -1, `${name} has a character outside ASCII: …${around.toString('utf8')}…`);
  }
});
