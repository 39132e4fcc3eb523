/**
 * `npm run detect [-- --json] [-- --fallback]`: runs one detection pass the way the app does and prints what it
 * found, which probe answered and where each field came from, for bug reports. --fallback skips the native addon.
 */
import { classify } from './classify.js';
import { formatDetection, type Detection } from './detect-text.js';
import { createDefaultProbe } from './default-probe.js';
import { createFallbackProbe } from './fallback-probe.js';

const args = new Set(process.argv.slice(2));
const probe = args.has('--fallback')
  ? createFallbackProbe({ kind: 'fallback', reason: 'asked for with --fallback' })
  : createDefaultProbe();
const report = await probe.detect();
const detection: Detection = { provider: probe.provider, report, devices: classify(report, null) };
process.stdout.write(`${args.has('--json') ? JSON.stringify(detection, null, 2) : formatDetection(detection, new Date())}\n`);
