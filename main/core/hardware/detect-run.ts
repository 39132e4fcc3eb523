import type { ChildProcess } from 'node:child_process';
import { classify } from './classify.js';
import { detection, formatDetection } from './detect-text.js';
import { createDefaultProbe } from './default-probe.js';
import { createFallbackProbe } from './fallback-probe.js';

/** One detection pass as `npm run detect` prints it (detect-command.ts): text, or JSON with --json. */
export async function detectAndDescribe(args: ReadonlySet<string>, probeChild: ChildProcess | undefined): Promise<string> {
  const probe = args.has('--fallback')
    ? createFallbackProbe({ kind: 'fallback', reason: 'asked for with --fallback' })
    : createDefaultProbe(probeChild ? { probeChild } : {});
  const report = await probe.detect();
  // The provider after the detection: it says so if the driver check failed and the tools answered instead.
  const found = detection(probe.provider, report, classify(report, null));
  return args.has('--json') ? JSON.stringify(found, null, 2) : formatDetection(found, new Date());
}
