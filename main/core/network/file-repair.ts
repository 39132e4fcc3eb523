import { readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Logger } from '../ports.js';
import { ClientStateSchema } from './client-file.js';
import { damagedNotice, Outbox } from './outbox.js';

/**
 * Checks the network client's files before the client opens them, so a damaged one is a notice and not a dead
 * end: client.json (device id, registrations) that cannot be read is renamed `client.json.bad-<time>` and started
 * afresh (the device registers again by itself on first contact), and queued results that cannot be read are set
 * aside by the outbox itself. Each problem becomes one plain sentence; the details go to the log.
 */
export async function repairNetworkFiles(
  dataDir: string,
  lastDeviceId: string | undefined,
  now: number,
  logger: Logger,
): Promise<string[]> {
  const dir = join(dataDir, 'network');
  const notices: string[] = [];
  const stateFile = join(dir, 'client.json');
  const text = await readFile(stateFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined && !usable(text)) {
    const aside = `${stateFile}.bad-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    await rename(stateFile, aside);
    // The device keeps its id where it can be found (the old file, else its own receipts), so its earnings
    // history stays its own; otherwise a new id is made when the client opens.
    const deviceId = text.match(/"deviceId"\s*:\s*"([\w.:-]{1,128})"/)?.[1] ?? lastDeviceId;
    if (deviceId) await writeFileAtomic(stateFile, JSON.stringify({ deviceId, coordinators: {} }));
    logger.warn(`network: ${stateFile} could not be read; kept as ${aside}, registering again`);
    notices.push(
      `The file with this computer's network registration was damaged, so it was kept as ${basename(aside)} and the ` +
        'app registers again by itself. Nothing else is needed from you; your earnings history is unchanged.',
    );
  }
  const { problems } = await new Outbox(join(dir, 'outbox')).list();
  for (const problem of problems) logger.error(`network: ${problem}`);
  if (problems.length > 0) notices.push(damagedNotice(problems.length));
  return notices;
}

function usable(text: string): boolean {
  try {
    return ClientStateSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}
