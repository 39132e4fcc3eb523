// `npm start` and `npm run headless` build only what changed (scripts/build-changed.mjs): on a copy of the project
// (sources and dist/, with their times; node_modules linked), an unchanged tree builds nothing, a touched renderer
// file rebuilds the renderer alone, a touched agent file the Node side alone, and an output removed from dist/ its
// bundle. Each build here is the real one (vite, esbuild).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLES, listFiles } from '../../scripts/build-freshness.mjs';
import { projectCopy } from '../helpers/project-copy.js';

/** Runs the freshness build in `root`; resolves to its `build:` lines once it exits successfully. */
async function buildChanged(root: string): Promise<string[]> {
  const child = spawn(process.execPath, [join(root, 'scripts', 'build-changed.mjs')], { cwd: root });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, output);
  return output
    .split('\n')
    .filter((line) => line.startsWith('build: '))
    .sort();
}

/** A file's mtime moved a minute ahead: what saving it in an editor does, whatever the file system's time resolution. */
async function touch(root: string, path: string): Promise<void> {
  const later = new Date(Date.now() + 60_000);
  await utimes(join(root, path), later, later);
}

const outputs = (root: string, name: keyof typeof BUNDLES): Record<string, string> => listFiles(root, BUNDLES[name].outputs);

test(
  'only the bundle whose inputs or outputs changed is built again; an unchanged tree builds nothing',
  { timeout: 600_000 },
  async (t) => {
    const { root, remove } = await projectCopy();
    t.after(remove);

    assert.deepEqual(await buildChanged(root), [
      'build: building main (no record of an earlier build)',
      'build: building renderer (no record of an earlier build)',
    ]);

    const built = { main: outputs(root, 'main'), renderer: outputs(root, 'renderer') };
    assert.deepEqual(await buildChanged(root), [], 'nothing built');
    assert.deepEqual(outputs(root, 'main'), built.main, 'nothing in dist/ was written');
    assert.deepEqual(outputs(root, 'renderer'), built.renderer, 'nothing in dist/ was written');

    await touch(root, 'renderer/src/App.svelte');
    assert.deepEqual(await buildChanged(root), ['build: building renderer (renderer/src/App.svelte changed)']);
    assert.deepEqual(outputs(root, 'main'), built.main, 'the Node side was left as it was');
    const renderer = outputs(root, 'renderer');
    assert.notDeepEqual(renderer, built.renderer, 'the renderer was written again');

    await touch(root, 'main/core/headless.ts');
    assert.deepEqual(await buildChanged(root), ['build: building main (main/core/headless.ts changed)']);
    assert.notDeepEqual(outputs(root, 'main'), built.main, 'the Node side was written again');
    assert.deepEqual(outputs(root, 'renderer'), renderer, 'the renderer was left as it was');

    await unlink(join(root, 'dist/main/detect.js'));
    assert.deepEqual(await buildChanged(root), ['build: building main (dist/main/detect.js changed since the last build)']);
    assert.ok('dist/main/detect.js' in outputs(root, 'main'), 'the removed output is back');
  },
);
