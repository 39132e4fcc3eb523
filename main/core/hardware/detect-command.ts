/**
 * `npm run detect [-- --json] [-- --fallback]`: runs one detection pass the way the app does and prints what it
 * found, which probe answered and where each field came from, for bug reports. --fallback skips the native addon.
 * Run compiled (dist/main/detect.js, through scripts/detect.mjs): a cold start under tsx alone took seconds.
 */
import { classify } from './classify.js';
import { detection, formatDetection } from './detect-text.js';
import { createDefaultProbe } from './default-probe.js';
import { createFallbackProbe } from './fallback-probe.js';

const args = new Set(process.argv.slice(2));
const probe = args.has('--fallback')
  ? createFallbackProbe({ kind: 'fallback', reason: 'asked for with --fallback' })
  : createDefaultProbe();
const report = await probe.detect();
// The provider after the detection: it says so if the driver check failed and the tools answered instead.
const found = detection(probe.provider, report, classify(report, null));
process.stdout.write(`${args.has('--json') ? JSON.stringify(found, null, 2) : formatDetection(found, new Date())}\n`);
