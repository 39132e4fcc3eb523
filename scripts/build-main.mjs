// Bundles the Node side: headless entry (ESM), Electron main and preload (CommonJS: sandboxed preloads cannot be ESM),
// and renders the app icons from build/icon.svg into dist/icons (the window's icon and electron-builder's).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { writeIcons } from './icons.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// zod and ethers (ES modules) are bundled, so only the parts in use are loaded: whole, they cost the always-on agent
// several MB more. Every other package stays in node_modules: native addons, electron, the devnet's tools, and
// CommonJS packages loaded on first use (ws, systeminformation). Whitespace is minified (names are kept for stack
// traces) because it drops the comments: one non-ASCII character makes V8 hold the source at two bytes a character.
const external = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter(
  (name) => name !== 'zod' && name !== 'ethers',
);
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning', minifyWhitespace: true };

await Promise.all([
  writeIcons('build/icon.svg', 'dist/icons'),
  build({ ...common, entryPoints: ['main/core/headless.ts'], outfile: 'dist/main/headless.js', format: 'esm', external }),
  // runtime/host.ts reads import.meta.url only where __filename is missing (ESM); in this CJS bundle it has __filename.
  build({
    ...common,
    entryPoints: ['main/electron/main.ts'],
    outfile: 'dist/main/electron.cjs',
    format: 'cjs',
    external,
    logOverride: { 'empty-import-meta': 'silent' },
  }),
  // Job host child process (forked by the runtime, found next to the bundle that imports it).
  build({
    ...common,
    entryPoints: ['main/core/runtime/job-host.ts'],
    outfile: 'dist/main/job-host.js',
    format: 'esm',
    external,
  }),
  // CPU benchmark child process (onnxruntime stays out of the agent), found next to the bundle like the job host.
  build({
    ...common,
    entryPoints: ['main/core/hardware/benchmark-child.ts'],
    outfile: 'dist/main/benchmark-child.js',
    format: 'esm',
    external,
  }),
  // The embedded local devnet (coordinator + chain), forked by the agent when no network is set.
  build({ ...common, entryPoints: ['main/devnet/standalone.ts'], outfile: 'dist/main/devnet.js', format: 'esm', external }),
  // The sandboxed preload may require only 'electron', so everything else is bundled in.
  build({ ...common, entryPoints: ['main/preload/index.ts'], outfile: 'dist/preload/index.cjs', format: 'cjs', external: ['electron'] }),
]);
