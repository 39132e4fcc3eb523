// The whole suite (scripts/run-tests.mjs) runs every unit test file in this one process instead of one process each:
// a process's start and its imports (tsx, zod, ethers, the core) cost more than most unit files' tests, about 170 s
// of CPU over 101 files. A unit test keeps to its own fakes and folders, so the files share a process safely; a file
// run on its own (`node scripts/run-tests.mjs <filter>`) still gets a process of its own.
import { readdirSync } from 'node:fs';

for (const file of readdirSync(import.meta.dirname)
  .filter((name) => name.endsWith('.test.ts'))
  .sort()) {
  await import(`./${file}`);
}
