// The agent's side of the '2 GB download: agent memory' case, in a process of its own so its RSS is the download's
// alone (the server stays in the soak process): the real ModelCache fetches `warm` (a first download, as any agent that
// has worked has done), then `big`, both with a hash that cannot match; RSS is sampled every 20 ms and printed as one
// JSON line (bytes).
import { ModelCache } from '../../main/core/runtime/model-cache.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';

const [warmUrl, warmSize, bigUrl, bigSize] = process.argv.slice(2);
const ports = fakePorts();
const cache = new ModelCache({ dir: await tempDir('synor-soak-mem-'), capBytes: 4 * 1024 ** 3, clock: ports.clock, logger: ports.logger });
const rss = (): number => process.memoryUsage().rss;

/** Fetches a blob whose hash cannot match (the hostile case), the peak RSS meanwhile and how it ended. */
async function download(url: string, size: number, sha256: string): Promise<{ peak: number; ended: string }> {
  let peak = rss();
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
  const got = await cache.ensure({ url, sha256, size });
  clearInterval(sampler);
  return { peak: Math.max(peak, rss()), ended: got.ok ? 'accepted' : got.error.message };
}

const cold = rss();
await download(warmUrl!, Number(warmSize), '1'.repeat(64));
const before = rss();
const { peak, ended } = await download(bigUrl!, Number(bigSize), '2'.repeat(64));
console.log(JSON.stringify({ cold, before, peak, after: rss(), ended }));
