// The security scan run by `npm test` can fail: a window without context isolation is a high finding, and the shell
// as it is has none of high or medium severity.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { scan } from '../../scripts/electronegativity.mjs';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';

test(
  'electronegativity finds a window without context isolation, and nothing high or medium in the shell',
  { timeout: 120_000 },
  async () => {
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
    const shell = await scan([join(ROOT, 'main', 'electron'), join(ROOT, 'main', 'preload'), join(ROOT, 'renderer', 'index.html')]);
    assert.deepEqual(shell.serious, []);
    assert.deepEqual(shell.unparsed, []);
    assert.ok(shell.checks > 30);
  },
);
