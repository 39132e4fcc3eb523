// Loaded into every test file's process by scripts/run-tests.mjs, it acts in unit test files only: a unit test
// starts no process (no child process, chain, browser or job host), so each is quick and holds on a loaded machine.
// One that needs a process belongs in test/integration/. (The runner's own parent process is left alone.)
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

// Only in a test file's own process (the runner sets NODE_TEST_CONTEXT there), and only for a file under test/unit/
// or the one that runs them all (test/all-unit-files.ts).
if (process.env.NODE_TEST_CONTEXT && /[\\/]test[\\/](unit[\\/]|all-unit-files\.ts$)/.test(process.argv[1] ?? '')) {
  for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
    childProcess[name] = () => {
      throw new Error(`a unit test may not start a process (child_process.${name}); move the test to test/integration/`);
    };
  }
  syncBuiltinESMExports();
}
