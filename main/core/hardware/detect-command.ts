/**
 * `npm run detect [-- --json] [-- --fallback]`: runs one detection pass the way the app does and prints what it
 * found, which probe answered and where each field came from, for bug reports. --fallback skips the native addon.
 * Run compiled (dist/main/detect.js, through scripts/detect.mjs): a cold start under tsx alone took seconds.
 * What starts the driver calls' child runs first: Node takes ~100 ms to start it, which then overlaps the setting up
 * of the rest (detect-run.ts, evaluated only once imported: zod and its schemas, the parsers).
 */
import { loadAddon, packageRoot } from '../native/addon-load.js';
import { startProbeChild } from './probe-child-start.js';

const args = new Set(process.argv.slice(2));
const root = args.has('--fallback') ? null : packageRoot();
// The same folder and addon createDefaultProbe finds, so the child started here is the one it uses.
const probeChild = root !== null && loadAddon(root).ok ? startProbeChild(root) : undefined;
const { detectAndDescribe } = await import('./detect-run.js');
process.stdout.write(`${await detectAndDescribe(args, probeChild)}\n`);
