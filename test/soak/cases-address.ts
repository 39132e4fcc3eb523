// The kept local address (issue 29 item 1): the link a bookmark or a script holds survives a kill -9 amid token
// rotations and a full disk. Each case starts the real headless agent (from source) on a folder of its own.
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HTTP_TOKEN_ROTATE_PATH, TokenRotatedSchema } from '../../main/common/local-api.js';
import { LocalAddressSchema } from '../../main/core/server/local-address.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { smallDisk } from '../helpers/small-disk.js';
import { clean, type SoakCase } from './case.js';

const ROTATIONS = { fast: 20, full: 200 };

/** A port nothing listens on now, given to the agent so that it is kept. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const start = (home: string, port?: number): Promise<Headless> =>
  startHeadless(home, ['--import', 'tsx', 'main/core/headless.ts', ...(port === undefined ? [] : ['--port', String(port)])]);

/** One rotation as a script asks for it: the new token, or the refusal's code (or 'gone' when nothing answered). */
async function rotate(agent: Pick<Headless, 'origin' | 'token'>): Promise<{ token: string } | { code: string }> {
  try {
    const response = await fetch(`${agent.origin}${HTTP_TOKEN_ROTATE_PATH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${agent.token}` },
    });
    const body = (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string } };
    if (!body.ok) return { code: body.error?.code ?? 'unreadable' };
    return { token: new URL(TokenRotatedSchema.parse(body.value).url).hash.replace('#token=', '') };
  } catch {
    return { code: 'gone' };
  }
}

const keptIn = async (home: string) =>
  LocalAddressSchema.safeParse(JSON.parse(await readFile(join(home, 'data', 'local-api.json'), 'utf8').catch(() => 'null')));

/** Files beside the kept link that a write left behind (a temp file cut short by the kill) or set aside. */
const strays = async (home: string): Promise<string[]> =>
  (await readdir(join(home, 'data'))).filter((name) => name.startsWith('local-api.json.'));

export const ADDRESS_CASES: SoakCase[] = [
  {
    name: 'kept link after a kill -9 amid token rotations',
    fast: false,
    run: async (size) => {
      const home = await tempDir('synor-soak-address-');
      const port = await freePort();
      const agent = await start(home, port);
      // Rotations one after another, each with the token the last one gave; the kill lands in the middle of them.
      const given: string[] = [agent.token];
      const killAt = Math.floor(ROTATIONS[size] / 2);
      for (let i = 0; i < ROTATIONS[size]; i++) {
        if (i === killAt) agent.child.kill('SIGKILL');
        const got = await rotate({ origin: agent.origin, token: given.at(-1)! });
        if (!('token' in got)) break;
        given.push(got.token);
      }
      await agent.stop();
      const kept = await keptIn(home);
      const next = await start(home);
      try {
        // The kept token is the last one a reply gave, or one made just before the kill (saved, never answered).
        const known = kept.success && !given.slice(0, -1).includes(kept.data.token);
        const sameLink = kept.success && next.token === kept.data.token && next.origin === agent.origin;
        const answers = ((await rpc(next, 'getState')) as { ok: boolean }).ok;
        const left = await strays(home);
        return {
          ...clean,
          leftovers: left.length,
          ok: known && sameLink && answers,
          outcome: `${given.length - 1} rotations before the kill; next start: ${sameLink ? 'same link' : 'link changed'}${known ? '' : ', kept an old token'}${answers ? ', answers' : ', does not answer'}${left.length ? `; left: ${left.join(', ')}` : ''}`,
        };
      } finally {
        await next.stop();
      }
    },
  },
  {
    name: 'kept link: token rotation on a full disk',
    fast: false,
    run: async () => {
      const disk = await smallDisk();
      if ('skipped' in disk) return { ...clean, ok: true, skipped: disk.skipped, outcome: 'not run' };
      let agent: Headless | undefined;
      try {
        agent = await start(disk.dir, await freePort());
        await disk.fill();
        const full = await rotate(agent);
        const before = await keptIn(disk.dir);
        const oldWorks = ((await rpc(agent, 'getState')) as { ok: boolean }).ok;
        await disk.free();
        const after = await rotate(agent);
        const newKept = await keptIn(disk.dir);
        const refused = 'code' in full && full.code === 'STORAGE';
        const unchanged = before.success && before.data.token === agent.token;
        const rotatedAfter = 'token' in after && newKept.success && newKept.data.token === after.token;
        return {
          ...clean,
          leftovers: (await strays(disk.dir)).length,
          ok: refused && unchanged && oldWorks && rotatedAfter,
          outcome: `full: ${'code' in full ? full.code : 'rotated?'}, old token ${oldWorks ? 'still works' : 'refused'}, file ${unchanged ? 'unchanged' : 'changed'}; after freeing space: ${rotatedAfter ? 'rotated and kept' : 'not rotated'}`,
        };
      } finally {
        await agent?.stop();
        await disk.close();
      }
    },
  },
];
