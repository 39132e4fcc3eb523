/** Running a vendor's command-line tool for the JS fallback: its output, exit code, and whether it exists at all. */
import { execFile } from 'node:child_process';

export interface Run {
  /** null: the program is not installed. */
  exitCode: number | null;
  missing: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      const code = error && 'code' in error ? error.code : 0;
      resolve({
        exitCode: typeof code === 'number' ? code : null,
        missing: code === 'ENOENT',
        timedOut: Boolean(error && 'killed' in error && error.killed),
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

export const output = (r: Run) => `${r.stdout}\n${r.stderr}`;
export const firstLine = (r: Run) =>
  output(r)
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? '';
