// Bundles the Node side: headless entry (ESM), Electron main and preload (CommonJS: sandboxed preloads cannot be ESM),
// and renders the app icons from build/icon.svg into dist/icons (the window's icon and electron-builder's).
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
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
// zod's namespace re-exports every one of its ~50 message locales (nearly half of zod in a bundle, parsed and run at
// every start); the app speaks English, zod's default, so only that one is bundled.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}zod${sep}`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  minifyWhitespace: true,
  plugins: [zodEnglishOnly],
};

/**
 * The embedded devnet's process entry (source and bundle name) as core imports it (main/devnet/process-entry.ts):
 * compiled and read here, so the bundle is built from the record core forks by and the two cannot drift apart.
 */
async function devnetEntry() {
  const { outputFiles } = await build({
    ...common,
    entryPoints: ['main/devnet/process-entry.ts'],
    format: 'esm',
    sourcemap: false,
    write: false,
  });
  const record = await import(`data:text/javascript,${encodeURIComponent(outputFiles[0].text)}`);
  return { entryPoints: [record.DEVNET_ENTRY_SOURCE], outfile: `dist/main/${record.DEVNET_BUNDLE}.js` };
}

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
  // The native hardware probe's child process (driver libraries stay out of the agent), found next to the bundle.
  build({
    ...common,
    entryPoints: ['main/core/hardware/probe-child.ts'],
    outfile: 'dist/main/probe-child.js',
    format: 'esm',
    external,
  }),
  // The `synor` command (package.json "bin": bin/synor.mjs), compiled so a script's every call starts fast.
  build({ ...common, entryPoints: ['main/cli/synor.ts'], outfile: 'dist/main/synor.js', format: 'esm', external }),
  // `npm run detect`, compiled so it starts in a fraction of tsx's time (scripts/detect.mjs runs it).
  build({ ...common, entryPoints: ['main/core/hardware/detect-command.ts'], outfile: 'dist/main/detect.js', format: 'esm', external }),
  // The embedded local devnet (coordinator + chain), forked by the agent when no network is set.
  build({ ...common, ...(await devnetEntry()), format: 'esm', external }),
  // The sandboxed preload may require only 'electron', so everything else is bundled in.
  build({ ...common, entryPoints: ['main/preload/index.ts'], outfile: 'dist/preload/index.cjs', format: 'cjs', external: ['electron'] }),
]);
