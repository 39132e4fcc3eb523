import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from '../../helpers/headless.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to start the command: the build a script would run, or the source (beside agents run from source). */
export const BUILT_SYNOR = ['dist/main/synor.js'];
export const SOURCE_SYNOR = ['--import', 'tsx', 'main/cli/synor.ts'];

/** Runs the `synor` command with its data under `home`, as a script would: its exit code and what it printed. */
export async function runSynor(command: readonly string[], home: string, args: readonly string[]): Promise<Ran> {
  const child = spawn(process.execPath, [...command, ...args], { cwd: ROOT, env: { ...process.env, SYNOR_HOME: home } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
