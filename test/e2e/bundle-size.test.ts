import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUDGET_BYTES, bundleSizes } from '../../scripts/bundle-size.mjs';

test('the built renderer JavaScript stays within 150 KB gzip (lazy chunks included)', { timeout: 300_000 }, () => {
  const sizes = bundleSizes();
  const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
  console.log(`# renderer JS: ${(total / 1024).toFixed(1)} KB gzip in ${sizes.length} files`);
  assert.ok(sizes.length > 0, 'no build found: run npm run build');
  assert.ok(total <= BUDGET_BYTES, `${total} bytes > ${BUDGET_BYTES}`);
});
