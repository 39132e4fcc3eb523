// The whole suite (scripts/run-tests.mjs) runs every unit test file in this one process instead of one process each:
// a process's start and its imports (tsx, zod, ethers, the core) cost more than most unit files' tests, about 170 s
// of CPU over 101 files. A unit test keeps to its own fakes and folders, so the files share a process safely, as long
// as hooks that change the process (mocked timers) stay inside a describe (one at a file's top level would act on
// every file's tests), and no test takes what the whole process has: the one that holds every file descriptor is in
// test/integration/descriptors-exhausted.test.ts, since another file closing one here gave it back mid-test. A file
// run on its own (`node scripts/run-tests.mjs <filter>`) still gets a process of its own.
// This file lives outside test/unit/ because node's runner starts files in the order of their paths, and it should
// start first: it is among the longest. test/helpers/no-processes.mjs guards it as it guards test/unit/.
import { readdirSync } from 'node:fs';

const UNIT = new URL('unit/', import.meta.url);
for (const file of readdirSync(UNIT)
  .filter((name) => name.endsWith('.test.ts'))
  .sort()) {
  await import(new URL(file, UNIT).href);
}
