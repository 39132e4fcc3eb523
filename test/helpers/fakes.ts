import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, Logger, Ports } from '../../main/core/ports.js';

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public time = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
}

/** Keeps what was logged so tests can assert on it (and on what must never be logged). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

export const fakePorts = (): Ports & { clock: FakeClock; logger: MemoryLogger } => ({
  clock: new FakeClock(),
  logger: new MemoryLogger(),
});

const made: string[] = [];
// Not node:test's after(): called inside a before() hook, it would run as soon as that hook ends.
process.on('exit', () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder, removed when the test process exits. */
export async function tempDir(prefix = 'synor-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
