import { readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Logger } from '../ports.js';
import { ClientStateSchema } from './client-file.js';
import { recoverIdentity } from './identity.js';
import { damagedNotice, Outbox } from './outbox.js';

/**
 * Checks the network client's files before the client opens them, so a damaged one is a notice and not a dead
 * end: client.json (device id, registrations) that cannot be read is renamed `client.json.bad-<time>`, and one that is
 * damaged or missing while the rest of this device's files are there is rebuilt from them (identity.ts), so the same
 * device registers again and keeps its history and queued results; queued results that cannot be read are set aside by
 * the outbox itself. Each problem becomes one plain sentence; the details go to the log.
 */
export async function repairNetworkFiles(
  dataDir: string,
  ledgerFile: string,
  indexDeviceId: string | undefined,
  now: number,
  logger: Logger,
): Promise<string[]> {
  const dir = join(dataDir, 'network');
  const notices: string[] = [];
  const { entries, problems } = await new Outbox(join(dir, 'outbox')).list();
  const stateFile = join(dir, 'client.json');
  const text = await readFile(stateFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined || !usable(text)) {
    const recovered = await recoverIdentity({ damagedText: text, ledgerFile, queued: entries, indexDeviceId });
    let aside: string | undefined;
    if (text !== undefined) {
      aside = `${stateFile}.bad-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
      await rename(stateFile, aside);
      logger.warn(`network: ${stateFile} could not be read; kept as ${aside}`);
    }
    // Nothing to recover from and nothing damaged: a first start, where the client makes a new id.
    if (recovered) {
      const { from, ...state } = recovered;
      await writeFileAtomic(stateFile, JSON.stringify(state));
      logger.warn(`network: device ${state.deviceId} recovered from ${from}; registering again`);
    }
    if (aside || recovered) notices.push(clientNotice(aside, recovered !== null));
  }
  for (const problem of problems) logger.error(`network: ${problem}`);
  if (problems.length > 0) notices.push(damagedNotice(problems.length));
  return notices;
}

function clientNotice(aside: string | undefined, recovered: boolean): string {
  const what = aside
    ? `The file with this computer's network registration was damaged, so it was kept as ${basename(aside)}`
    : "The file with this computer's network registration was missing";
  return recovered
    ? `${what} and rebuilt from your earnings history and waiting results: this computer keeps its identity and registers ` +
        'again by itself. Your earnings and waiting results are unchanged; nothing is needed from you.'
    : `${what}; this computer registers again as a new device. Nothing is needed from you.`;
}

function usable(text: string): boolean {
  try {
    return ClientStateSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}
