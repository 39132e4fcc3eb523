// Loaded into every test file's process by scripts/run-tests.mjs. A file the runner stops (its time limit, or the run
// being interrupted) gets SIGTERM and would end at once, leaving the agents, devnets and browsers it started running
// on (they are its children, not the runner's): the signal is passed on to each of them, which then stop as they do
// on SIGTERM (an agent stops its devnet and job hosts), and the file ends as the signal would have ended it.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

if (process.env.NODE_TEST_CONTEXT) {
  const running = new Set();
  for (const name of ['spawn', 'fork']) {
    const start = childProcess[name];
    childProcess[name] = (...args) => {
      const child = start(...args);
      running.add(child);
      child.once('exit', () => running.delete(child));
      return child;
    };
  }
  syncBuiltinESMExports();
  process.once('SIGTERM', () => {
    for (const child of running) child.kill('SIGTERM');
    process.exit(128 + 15);
  });
}
