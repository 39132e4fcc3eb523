// Prints the renderer's JavaScript size (gzip, as served) and fails above the budget of 150 KB.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 150 * 1024;

export function bundleSizes(dir = 'dist/renderer/assets') {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => ({ file, gzip: gzipSync(readFileSync(join(dir, file)), { level: 9 }).length }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = bundleSizes();
  const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
  for (const s of sizes) console.log(`${s.file.padEnd(32)} ${(s.gzip / 1024).toFixed(1)} KB gzip`);
  console.log(`renderer JS total: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET_BYTES / 1024} KB)`);
  process.exit(total > BUDGET_BYTES ? 1 : 0);
}
