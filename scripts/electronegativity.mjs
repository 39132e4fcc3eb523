// Security scan of the desktop shell with @doyensec/electronegativity (run by `npm test` as `npm run security`). It
// scans the code that runs in Electron (main/electron, main/preload) and the page (renderer/index.html, for its
// CSP), copied into one folder because the scanner takes one input. Fails on any high or medium finding and on any
// file it could not parse; a finding accepted on purpose carries an `eng-disable` comment with its reason beside
// the code.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const root = fileURLToPath(new URL('..', import.meta.url));
const MEDIUM = 2; // the scanner's severity values: HIGH 3, MEDIUM 2

/** Scans copies of `paths` side by side; returns the high and medium findings and the files it could not parse. */
export async function scan(paths) {
  const dir = await mkdtemp(join(tmpdir(), 'synor-eneg-'));
  try {
    for (const path of paths) await cp(path, join(dir, basename(path)), { recursive: true });
    const result = await run({
      input: dir,
      isRelative: true,
      electronVersionOverride: require('electron/package.json').version,
      // It looks up the releases of Electron on the Internet for the version in a package.json: none is scanned here,
      // and offline the lookup only waits for DNS.
      excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    });
    return {
      checks: result.globalChecks + result.atomicChecks,
      findings: result.issues.length,
      serious: result.issues
        .filter((i) => i.severity.value >= MEDIUM)
        .map((i) => `${i.id} (${i.severity.name}) ${i.file}:${i.location.line} ${i.description}`),
      unparsed: result.errors.filter((e) => !e.tolerable).map((e) => `${e.file}: ${e.message}`),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await scan([join(root, 'main', 'electron'), join(root, 'main', 'preload'), join(root, 'renderer', 'index.html')]);
  for (const line of r.serious) console.log(`electronegativity: ${line}`);
  for (const line of r.unparsed) console.log(`electronegativity: could not scan ${line}`);
  console.log(
    `electronegativity: ${r.checks} checks, ${r.findings} findings, ${r.serious.length} high or medium, ${r.unparsed.length} files not scanned`,
  );
  process.exitCode = r.serious.length + r.unparsed.length > 0 ? 1 : 0;
}
