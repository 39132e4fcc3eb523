// The packaged app's file set runs (issue 31): scripts/package-dir.mjs builds the unpacked app with electron-builder
// (against a stand-in Electron binary where none can be had), the app's resources hold every package the agent needs
// at run time, and the headless agent started from those files with plain Node earns on its embedded devnet.
//
// Plain Node cannot read inside app.asar, so the test extracts it as `npx @electron/asar extract app.asar DIR` would
// (with the files that were unpacked beside it, in app.asar.unpacked) into a folder outside the project, where no
// package can be found in the project's node_modules by accident, and runs `node DIR/dist/main/headless.js`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { before, test } from 'node:test';
import { extractAll } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { FuseState } from '@electron/fuses/dist/constants.js';
import ts from 'typescript';
import { unpackedProblems } from '../../build/after-pack.mjs';
import type { AgentState } from '../../main/common/state.js';
import type { HardwareSnapshot } from '../../main/common/hardware.js';
import type { WalletView } from '../../main/common/wallet.js';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';
import { receiptsIn } from '../helpers/ledger.js';
import { leftAfter } from '../helpers/processes.js';
import { ledgerWei, shareNow, startAgent } from './support/agents.js';

interface PackageJson {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
const PROJECT = resolve(ROOT);
const project = readJson(join(PROJECT, 'package.json'));

let unpackedApp: string; // electron-builder's output: the binary and resources/
let app: string; // app.asar extracted, with its unpacked files

before(
  async () => {
    const out = await tempDir('synor-release-');
    const child = spawn(process.execPath, ['scripts/package-dir.mjs', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null]; // 'close': after the last of its output
    assert.equal(code, 0, `packaging failed:\n${output}`);
    const done = /^package: the unpacked app is in (.+) \(packaging took (.+)\)$/m.exec(output);
    assert.ok(done?.[1], `no packaging result in:\n${output}`);
    console.log(`# packaging took ${done[2]}`);
    unpackedApp = done[1];
    app = await tempDir('synor-packaged-app-');
    extractAll(join(unpackedApp, 'resources', 'app.asar'), app);
    // extractAll writes the unpacked files without their mode, and anvil must stay a program: copied again, as they are.
    await cp(join(unpackedApp, 'resources', 'app.asar.unpacked'), app, { recursive: true, force: true });
  },
  { timeout: 600_000 },
);

/** Where Node finds package `name` from the package in `from` (its own node_modules, then each folder above, to `root`). */
function installed(root: string, from: string, name: string): string | null {
  for (let dir = from; dir.startsWith(root); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return null;
}

/**
 * Every package the app runs on, found as Node finds it in the project and in the packaged app side by side: its
 * dependencies and, in turn, theirs, with the optional ones npm installed for this machine (platform builds: anvil's
 * program, the keychain's addon) and the required peers. electron-builder may place a package elsewhere than npm
 * did; what matters is that Node finds the same version from the package that needs it. Returns what is missing
 * (empty when the app is whole) and every package found, as paths in the project.
 */
function runtimePackages(): { missing: string[]; found: Set<string> } {
  const found = new Set<string>();
  const missing: string[] = [];
  const visit = (fromProject: string, fromApp: string, name: string, required: boolean): void => {
    const dir = installed(PROJECT, fromProject, name);
    assert.ok(dir || !required, `${name} (needed by ${relative(PROJECT, fromProject) || 'the app'}) is not installed`);
    if (!dir) return;
    const pkg = readJson(join(dir, 'package.json'));
    const packaged = installed(app, fromApp, name);
    if (!packaged || readJson(join(packaged, 'package.json')).version !== pkg.version) {
      missing.push(`${name}@${pkg.version} for ${relative(PROJECT, fromProject) || 'the app'}`);
      return;
    }
    if (found.has(relative(PROJECT, dir))) return;
    found.add(relative(PROJECT, dir));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dir, packaged, dep, !(dep in (pkg.optionalDependencies ?? {})));
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dir, packaged, dep, false);
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) visit(dir, packaged, dep, !pkg.peerDependenciesMeta?.[dep]?.optional);
  };
  for (const dep of Object.keys(project.dependencies ?? {})) visit(PROJECT, app, dep, true);
  return { missing, found };
}

/** The package an import names: `@scope/name` or `name`, without a path inside it. */
const packageName = (specifier: string): string => {
  const [first, second] = specifier.split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? specifier);
};

/**
 * The packages the built bundles import or require by name (the packaged ones, as the agent and its children run
 * them), read by TypeScript's parser: static imports and exports, `import('name')` and `require('name')`. (Its quick
 * import scanner, tried first, lost its place in a large bundle and missed most of them.)
 */
function bundleImports(bundles: string): Set<string> {
  const names = new Set<string>();
  const named = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node) && !isBuiltin(node.text) && !node.text.startsWith('.')) names.add(packageName(node.text));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) named(node.moduleSpecifier);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      named(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  for (const file of readdirSync(bundles).filter((f) => /\.(c|m)?js$/.test(f))) {
    visit(ts.createSourceFile(file, readFileSync(join(bundles, file), 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS));
  }
  return names;
}

test('the packaged resources hold every runtime dependency the agent needs, its native code unpacked', { timeout: 900_000 }, async () => {
  const { missing, found } = runtimePackages();
  assert.deepEqual(missing, [], 'runtime packages missing from the packaged app');
  for (const chain of ['anvil', `anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`])
    assert.ok(
      found.has(join('node_modules', '@foundry-rs', chain)),
      `the embedded devnet's chain (@foundry-rs/${chain}) is not a runtime package`,
    );

  // Only what electron-builder.yml's `files` names is packaged: no sources, tests or source maps.
  assert.deepEqual(readdirSync(app).sort(), ['dist', 'native', 'node_modules', 'package.json']);
  const maps = readdirSync(join(app, 'dist'), { recursive: true }).filter((file) => String(file).endsWith('.map'));
  assert.deepEqual(maps, [], 'source maps were packaged');
  const onnxPlatforms = readdirSync(join(app, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6'));
  assert.deepEqual(onnxPlatforms, [process.platform], "other platforms' onnxruntime libraries were packaged");

  // What the bundles import is declared as a runtime dependency (electron is the shell's runtime itself) and packaged.
  const imported = bundleImports(join(app, 'dist', 'main'));
  for (const name of ['onnxruntime-node', 'ws', 'electron', 'systeminformation'])
    assert.ok(imported.has(name), `the bundles' imports were not read: ${name}`);
  const undeclared = [...imported].filter((name) => name !== 'electron' && !(name in (project.dependencies ?? {})));
  assert.deepEqual(undeclared, [], 'the bundles import packages that are not runtime dependencies');
  // A development package that a runtime package needs too (ethers' own @types/node) is packaged rightly.
  const neededNames = new Set([...found].map((path) => path.split('node_modules/').at(-1)));
  const devOnly = Object.keys(project.devDependencies ?? {}).filter(
    (name) => existsSync(join(app, 'node_modules', name)) && !neededNames.has(name),
  );
  assert.deepEqual(devOnly, [], 'development packages were packaged');

  // onnxruntime's libraries, the hardware addon and anvil are outside the archive; the after-pack hook flipped the fuses.
  assert.deepEqual(unpackedProblems(join(unpackedApp, 'resources'), ROOT, process.platform, process.arch), []);
  const entry = readdirSync(unpackedApp).find((f) => f !== 'resources');
  assert.ok(entry);
  const wire = await getCurrentFuseWire(join(unpackedApp, entry));
  assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], FuseState.DISABLE, 'the after-pack hook did not set the fuses');
});

/** Command lines of this machine's processes that run something from `dir` (Linux /proc). */
function runningFrom(dir: string): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (line.includes(dir)) lines.push(`${pid} ${line}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}

test('the agent started from the packaged files with plain Node earns on its embedded devnet', { timeout: 900_000 }, async (t) => {
  const home = await tempDir();
  const agent = await startAgent(home, [join(app, 'dist', 'main', 'headless.js'), '--port', '0']);
  let earned = false;
  t.after(async () => {
    // A packaged part that fails to start shows only in the agent's log (the devnet's lines among them).
    if (!earned) console.log(`# the agent's last output:\n${agent.output().slice(-4000)}`);
    await agent.stop();
  });
  await agent.ok<WalletView>('walletCreate', { passphrase: 'correct horse battery staple' });
  await agent.ok('updateSettings', shareNow(null));
  // A packaged part missing or unable to start (the devnet exits at start) is told at once, not at the time limit.
  const joinFailed = (s: AgentState): boolean => s.work.blocker?.startsWith('Could not join the network') ?? false;
  const outcome = await agent.until((s) => BigInt(s.wallet.claimable) > 0n || joinFailed(s), 'earnings on the embedded devnet');
  assert.ok(!joinFailed(outcome), outcome.work.blocker ?? '');
  earned = true;

  const receipts = await receiptsIn(join(home, 'data', 'ledger.jsonl'));
  assert.ok(receipts.length > 0 && (await ledgerWei(home)) > 0n, 'no signed receipt in the ledger');
  const hardware = await agent.ok<HardwareSnapshot | null>('getHardware');
  assert.equal(hardware?.provider.kind, 'native', `the packaged hardware addon did not load: ${hardware?.provider.reason}`);
  // The devnet, its chain and the job hosts all ran from the packaged files.
  const running = runningFrom(app);
  for (const part of [join('dist', 'main', 'devnet.js'), join('@foundry-rs', 'anvil-'), join('dist', 'main', 'job-host.js')])
    assert.ok(
      running.some((line) => line.includes(join(app, part)) || line.includes(join(app, 'node_modules', part))),
      `${part} is not running from ${app}:\n${running.join('\n')}`,
    );
  console.log(`# ${receipts.length} signed receipts in the ledger, ${await ledgerWei(home)} wei`);

  const pids = running.map((line) => Number(line.split(' ')[0]));
  await agent.stop();
  assert.equal((await leftAfter(pids, 30_000)).left, 0, `processes left behind:\n${runningFrom(app).join('\n')}`);
});
