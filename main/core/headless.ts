/**
 * Headless mode: the agent on plain Node, serving the same UI on 127.0.0.1 behind a token kept in the data folder.
 * Usage: node dist/main/headless.js [--port N]
 * The port is the one given, else the one kept from the last run, else 7433; one that is taken gives way to a free
 * one. The port in use is kept for the next run (a bookmark keeps working), except with N=0: a free port, this run only.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { stderrLogger } from './node-ports.js';
import { linkFor, startServer } from './server/http.js';
import { diskRefusal } from './fs/disk-refusal.js';
import { loadLocalAddress, newToken, rotateLocalToken, saveLocalAddress, type LocalAddress } from './server/local-address.js';
import { shutdown, startAgent } from './startup.js';

const DEFAULT_PORT = 7433;

// This file sits two folders below the package root both as source (main/core) and built (dist/main).
const root = new URL('../../', import.meta.url);
const { values } = parseArgs({ options: { port: { type: 'string' } } });
const version = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))).version;
const started = await startAgent({ mode: 'headless', version, home: homedir() });
// A disk that refuses the data folder: one plain sentence, no stack, and a failing exit for scripts and services.
if (!started.started && 'error' in started) {
  process.stderr.write(`${started.error.message}\n`);
  process.exit(1);
}
// One agent per data folder: a second start shows the running agent's link instead of starting another.
if (!started.started) {
  const { pid, url } = started.running;
  process.stdout.write(
    url
      ? `Synor Contributor is already running (process ${pid}). Open this link in your browser:\n  ${url}\n`
      : `Synor Contributor is already starting (process ${pid}); its link will be printed in its own window.\n`,
  );
  process.exit(0);
}
const { agent, paths, lock } = started;

/** Why the data folder refused the kept link, in words (no error codes). */
const refusal = (error: unknown): string => diskRefusal(error)?.message ?? 'it could not be read or written';
// Without a kept link the agent still runs, on a token of its own for this run: a bookmark is worth less than a start.
const kept: { address: LocalAddress; setAsideAs?: string } = await loadLocalAddress(paths.dataDir, Date.now()).catch((error: unknown) => {
  stderrLogger.warn(`The saved link in ${paths.dataDir} could not be used (${refusal(error)}): this run has a new token.`);
  return { address: { token: newToken() } };
});
if (kept.setAsideAs) {
  stderrLogger.warn(
    `The saved link in ${paths.dataDir} could not be read: it was moved aside as ${kept.setAsideAs} and a new token was made. Old links and scripts need the new one.`,
  );
}
// The new token is saved before the server takes it (http.ts): a token that cannot be saved never replaces one.
const rotateToken = async (): Promise<string> => {
  const { address } = await rotateLocalToken(paths.dataDir, Date.now());
  if (!(await lock.setUrl(linkFor(server.port, address.token)))) stderrLogger.warn('the new link could not be saved in the lock file');
  return address.token;
};
const serve = (port: number) =>
  startServer({
    agent,
    logger: stderrLogger,
    rendererDir: fileURLToPath(new URL('dist/renderer/', root)),
    port,
    token: kept.address.token,
    rotateToken,
  });
const wanted = values.port === undefined ? (kept.address.port ?? DEFAULT_PORT) : Number(values.port);
const server = await serve(wanted).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE' || values.port !== undefined) throw error;
  stderrLogger.warn(`port ${wanted} is in use; picking a free one, kept for the next starts`);
  return serve(0);
});

const keptPort = wanted === 0 ? kept.address.port : server.port;
await saveLocalAddress(paths.dataDir, { token: server.token, ...(keptPort === undefined ? {} : { port: keptPort }) }).catch(
  (error: unknown) =>
    stderrLogger.warn(`The link could not be kept in ${paths.dataDir} (${refusal(error)}): the next start may print a new one.`),
);
if (wanted === 0) stderrLogger.info(`port ${server.port} was picked for this run only (--port 0): it is not kept`);
if (!(await lock.setUrl(server.url)))
  stderrLogger.warn('the link could not be saved in the data folder: a second start will not be able to show it');
stderrLogger.info(`settings in ${paths.configDir}, data in ${paths.dataDir}`);
// Before the link is printed: whoever reads it may stop the agent at once, and a stop must release the data folder.
const stop = shutdown(started, () => server.close());
// A close that fails still exits, with an error code: the next start recovers what was left (outbox, job hosts).
const quit = (): void =>
  void stop().then(
    () => process.exit(0),
    (error: Error) => (stderrLogger.error(`closing the agent failed: ${error.stack ?? error.message}`), process.exit(1)),
  );
process.on('SIGINT', quit);
process.on('SIGTERM', quit);
process.stdout.write(`Synor Contributor (headless) is running. Open this link in your browser:\n  ${server.url}\n`);
