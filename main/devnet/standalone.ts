/**
 * `npm run devnet`: the local devnet coordinator on its own, so several agents can join it
 * (set their coordinator URL to the printed one).
 * Usage: npm run devnet -- [--port N] [--data DIR] [--task-interval MS]
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEVNET_LABEL } from '../common/network.js';
import { stderrLogger } from '../core/node-ports.js';
import { appPaths } from '../core/paths.js';
import { startCoordinator } from './coordinator.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, data: { type: 'string' }, 'task-interval': { type: 'string' } } });
const dataDir = values.data ?? join(appPaths(process.platform, process.env, homedir()).dataDir, 'devnet-standalone');
const coordinator = await startCoordinator({
  port: Number(values.port ?? 7440),
  stateFile: join(dataDir, 'coordinator.json'),
  logger: stderrLogger,
  ...(values['task-interval'] ? { taskIntervalMs: Number(values['task-interval']) } : {}),
});
process.stdout.write(`${DEVNET_LABEL}\nCoordinator: ${coordinator.url}  (receipts signed by ${coordinator.address}, state in ${dataDir})\n`);
const stop = (): void => void coordinator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
