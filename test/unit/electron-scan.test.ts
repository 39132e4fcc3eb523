// The security scan run by `npm test` can fail: a window without context isolation is a high finding. The shell itself
// is scanned by that step (`npm run security`, scripts/electronegativity.mjs), which fails on any high or medium
// finding or any file it could not parse; scanning it here again only repeated the scanner's internet look-ups.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { scan } from '../../scripts/electronegativity.mjs';
import { tempDir } from '../helpers/fakes.js';

test('electronegativity finds a window without context isolation, with all its checks loaded', { timeout: 120_000 }, async () => {
  const bad = join(await tempDir('synor-bad-'), 'electron');
  await mkdir(bad);
  await writeFile(
    join(bad, 'main.ts'),
    "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\n",
  );
  const found = await scan([bad]);
  assert.ok(
    found.serious.some((line: string) => line.startsWith('CONTEXT_ISOLATION_JS_CHECK (HIGH) electron/main.ts:2')),
    found.serious.join('\n'),
  );
  assert.deepEqual(found.unparsed, []);
  assert.ok(found.checks > 30);
});
