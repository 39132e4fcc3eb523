import { spawn, spawnSync } from 'node:child_process';

/** Why the X11 input tests cannot run here, or null when Xvfb and xdotool are installed (scripts/system-deps.sh). */
export function x11Missing(): string | null {
  if (process.platform !== 'linux') return 'X11 input is watched on Linux only';
  for (const tool of ['Xvfb', 'xdotool'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/system-deps.sh)`;
  return null;
}

/** A private X server; Xvfb picks a free display and writes its number to fd 3 once it accepts clients. */
export async function startXvfb(): Promise<{ display: string; xdotool(...args: string[]): Promise<void>; stop(): Promise<void> }> {
  const server = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '640x480x24'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    server.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    server.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it was ready`)));
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  return {
    display,
    xdotool: (...args) =>
      new Promise((resolve, reject) => {
        const tool = spawn('xdotool', args, { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' });
        tool.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xdotool ${args.join(' ')} exited ${code}`))));
      }),
    stop: async () => {
      server.kill();
      await exited;
    },
  };
}
