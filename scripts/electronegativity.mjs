// Security scan of the desktop shell with @doyensec/electronegativity (run by `npm test`). It scans the code that
// runs in Electron (main/electron, main/preload) and the page (renderer/index.html, for its CSP), copied into one
// folder because the scanner takes one input. Fails on any high or medium finding and on any file it could not
// parse; a finding accepted on purpose carries an `eng-disable` comment with its reason beside the code.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const root = fileURLToPath(new URL('..', import.meta.url));
const electron = require('electron/package.json').version;

const dir = await mkdtemp(join(tmpdir(), 'synor-eneg-'));
try {
  await cp(join(root, 'main', 'electron'), join(dir, 'electron'), { recursive: true });
  await cp(join(root, 'main', 'preload'), join(dir, 'preload'), { recursive: true });
  await cp(join(root, 'renderer', 'index.html'), join(dir, 'index.html'));
  const result = await run({ input: dir, isRelative: true, electronVersionOverride: electron, severitySet: 'MEDIUM', confidenceSet: 'TENTATIVE' });
  const serious = result.issues.filter((i) => i.severity.value >= 2); // MEDIUM is 2, HIGH 3
  const unparsed = result.errors.filter((e) => !e.tolerable);
  for (const i of serious) console.log(`electronegativity: ${i.id} (${i.severity.name}) ${i.file}:${i.location.line} ${i.description}`);
  for (const e of unparsed) console.log(`electronegativity: could not scan ${e.file}: ${e.message}`);
  console.log(`electronegativity: ${result.globalChecks + result.atomicChecks} checks, ${result.issues.length} findings, ${serious.length} high or medium, ${unparsed.length} files not scanned`);
  process.exitCode = serious.length + unparsed.length > 0 ? 1 : 0;
} finally {
  await rm(dir, { recursive: true, force: true });
}
