// docs/ARCHITECTURE.md is the map of the code: every folder and source file of the app is named in it, so a file
// added without a word there, or a map that names what is gone, fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const map = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
// Named: in code quotes (`lib/gpu/`, `probe.ts`) or in bold (**scheduler/**), each part of a path.
const named = new Set(
  [...map.matchAll(/`([^`\s]+)`|\*\*([^*\s]+)\*\*/g)].flatMap(([, code, bold]) => (code ?? bold)!.split('/').filter(Boolean)),
);
const walk = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? [`${dir}/${entry.name}/`, ...walk(`${dir}/${entry.name}`)] : [`${dir}/${entry.name}`],
  );
// The app's code; data files (compiled contract artifacts) are not code to find one's way in.
const tree = [...walk('main'), ...walk('renderer/src')].filter((path) => !path.endsWith('.json'));

test('every folder and source file of the app is named in docs/ARCHITECTURE.md', { timeout: 60_000 }, () => {
  const missing = tree.filter((path) => !named.has(basename(path)));
  assert.deepEqual(missing, [], `add a word on each to docs/ARCHITECTURE.md: ${missing.join(', ')}`);
});

test('every file docs/ARCHITECTURE.md names under main/ and renderer/src/ exists', { timeout: 60_000 }, () => {
  const inTree = new Set(tree.map((path) => basename(path)));
  const sourceNames = [...map.matchAll(/`([\w.-]+\.(?:ts|svelte|sol|css))`/g)].map(([, name]) => name!);
  const gone = sourceNames.filter((name) => !inTree.has(name) && !/^(?:eslint\.config|vite\.config)/.test(name));
  assert.deepEqual(gone, [], 'named in the map but not in the tree');
});
