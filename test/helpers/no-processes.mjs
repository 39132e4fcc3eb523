// Loaded into every unit test file's process by scripts/run-tests.mjs: a unit test starts no process (no child
// process, chain, browser or job host), so each is quick and holds on a loaded machine. One that needs a process
// belongs in test/integration/. (The test runner's own parent process, which starts the files, is left alone.)
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

if (process.env.NODE_TEST_CONTEXT) {
  for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
    childProcess[name] = () => {
      throw new Error(`a unit test may not start a process (child_process.${name}); move the test to test/integration/`);
    };
  }
  syncBuiltinESMExports();
}
