/**
 * Headless mode: the agent on plain Node, serving the same UI on 127.0.0.1 behind a per-run token.
 * Usage: node dist/main/headless.js [--port N]   (N=0 picks a free port; default 7433, or a free one if taken)
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAgent } from './agent.js';
import { stderrLogger, systemClock } from './node-ports.js';
import { createDefaultProbe } from './hardware/default-probe.js';
import { nodeSystemPorts } from './monitor/node-sources.js';
import { appPaths } from './paths.js';
import { startServer } from './server/http.js';
import { KeychainStore } from './wallet/secret-store.js';

const DEFAULT_PORT = 7433;

// This file sits two folders below the package root both as source (main/core) and built (dist/main).
const root = new URL('../../', import.meta.url);
const { values } = parseArgs({ options: { port: { type: 'string' } } });
const version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;
const paths = appPaths(process.platform, process.env, homedir());
const ports = {
  clock: systemClock,
  logger: stderrLogger,
  hardware: createDefaultProbe(),
  secrets: new KeychainStore(),
  ...nodeSystemPorts(process.platform, process.env),
};
const agent = await createAgent({ ports, paths, mode: 'headless', version });

const serve = (port: number) =>
  startServer({ agent, logger: stderrLogger, rendererDir: fileURLToPath(new URL('dist/renderer/', root)), port });
const wanted = values.port === undefined ? DEFAULT_PORT : Number(values.port);
const server = await serve(wanted).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE' || values.port !== undefined) throw error;
  stderrLogger.warn(`port ${DEFAULT_PORT} is in use; picking a free one`);
  return serve(0);
});

stderrLogger.info(`settings in ${paths.configDir}, data in ${paths.dataDir}`);
process.stdout.write(`Synor Contributor (headless) is running. Open this link in your browser:\n  ${server.url}\n`);

const stop = (): void => {
  void Promise.all([server.close(), agent.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
