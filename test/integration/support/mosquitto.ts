/**
 * A real MQTT broker for the fleet's broker path: Debian's mosquitto (scripts/system-deps.sh) on a free loopback port,
 * with a config file written here, stopped by the caller.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/fakes.js';
import { freePort } from '../../helpers/ports.js';

const BINARY = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((path) => existsSync(path));

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

/**
 * Null where mosquitto is not installed (the caller skips and says to run scripts/system-deps.sh). `port`: a broker
 * started again where a stopped one was (its clients reconnect to the same address); a free one otherwise.
 */
export async function startMosquitto(port?: number): Promise<Broker | null> {
  if (BINARY === undefined) return null;
  port ??= await freePort();
  const config = join(await tempDir('synor-mosquitto-'), 'mosquitto.conf');
  await writeFile(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'));
  const child = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/running/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}:\n${output}`)));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
