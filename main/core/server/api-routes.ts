import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorText, fail, ok } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import type { Agent } from '../agent.js';
import type { Logger } from '../ports.js';
import { readCappedBody } from './body.js';
import type { ConnectionGuard } from './connection-guard.js';
import { linkFor, refusedPost, type DoorKeys } from './door.js';
import type { Replies } from './replies.js';

const MAX_BODY = 64 * 1024;

export interface ApiRoutesOptions {
  agent: Agent;
  logger: Logger;
  keys: DoorKeys;
  replies: Replies;
  guard: ConnectionGuard;
  /** Makes and keeps a new token; without it the rotate route is not served. */
  rotateToken: (() => Promise<string>) | undefined;
  /** The token changed: streams let in with the old one end. */
  tokenChanged(): Promise<void>;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The agent's API behind the bearer token: one command per JSON request, and the token's rotation. */
export function apiRoutes(o: ApiRoutesOptions): { rpc: Route; rotate: Route | null } {
  const { replies, keys } = o;
  /** A POST that carries the token goes on, and its connection is trusted by the guard; any other is refused. */
  const admitted = (req: IncomingMessage, res: ServerResponse): boolean => {
    const refused = refusedPost(req, keys.token);
    if (refused) replies.refuse(res, refused);
    else o.guard.trust(req.socket);
    return !refused;
  };

  const rpc: Route = async (req, res) => {
    if (!admitted(req, res)) return;
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return replies.refuse(res, fail('BAD_REQUEST', 'Send JSON (Content-Type: application/json).').error);
    }
    const body = await readCappedBody(req, MAX_BODY);
    if (body === undefined) {
      res.setHeader('Connection', 'close');
      return replies.result(res, fail('BAD_REQUEST', `The request is larger than ${MAX_BODY} bytes.`));
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return replies.result(res, fail('BAD_REQUEST', 'The request body is not valid JSON.'));
    }
    replies.result(res, await o.agent.call(json));
  };

  const { rotateToken } = o;
  if (!rotateToken) return { rpc, rotate: null };
  // One rotation at a time, each checking the token in use when its turn comes: two at once would leave the server
  // on one new token and the file on the other. Open event streams were let in with the old token: they end, and a
  // page with the new link opens new ones.
  const rotations = new SerialQueue();
  const rotateInTurn: Route = async (req, res) => {
    if (!admitted(req, res)) return;
    let next: string;
    try {
      next = await rotateToken();
    } catch (error) {
      o.logger.error(`rotating the token: ${errorText(error)}`);
      return replies.result(
        res,
        fail('STORAGE', 'The new token could not be saved in the data folder, so the old one still works. Check the disk and try again.'),
      );
    }
    keys.token = next;
    await o.tokenChanged();
    replies.result(res, ok({ url: linkFor(keys.port, keys.token) }));
  };
  return { rpc, rotate: (req, res) => rotations.run(() => rotateInTurn(req, res)) };
}
