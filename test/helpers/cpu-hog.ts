import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A busy loop in a child process per core asked for, at normal priority, each ending itself should its parent die
 * before stopping it (it is then re-parented); the function returned stops them.
 */
export async function startHog(cores: number): Promise<() => Promise<void>> {
  const spin = 'const parent = process.ppid; for (let i = 1; ; i++) if (i % 5e7 === 0 && process.ppid !== parent) process.exit();';
  const children: ChildProcess[] = Array.from({ length: cores }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
  await Promise.all(children.map((child) => once(child, 'spawn')));
  return async () => {
    await Promise.all(
      children.map(async (child) => {
        const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
  };
}
