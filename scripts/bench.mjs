// `npm run bench`: runs every test/bench/*.bench.ts one after another (benchmarks must not share the 2 cores), after
// building what changed since the last build (the benches that start the agent start the built one).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildChanged } from './build-changed.mjs';

const built = await buildChanged();
if (built !== 0) process.exit(built);

const filter = process.argv[2];
const files = readdirSync('test/bench')
  .filter((file) => file.endsWith('.bench.ts') && (!filter || file.includes(filter)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('test/bench', file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
