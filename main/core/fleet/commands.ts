import type { z } from 'zod';
import type { fleetCommands, FleetCommandName } from '../../common/fleet.js';
import { fail, ok, type ErrorCode, type Result } from '../../common/result.js';
import type { Fleet, FleetFailure } from './fleet.js';

type FleetHandlers = {
  [C in FleetCommandName]: (
    args: z.output<(typeof fleetCommands)[C]['args']>,
  ) => Promise<Result<z.output<(typeof fleetCommands)[C]['result']>>>;
};

/** The fleet's refusals as the local API's codes; the sentence is the fleet's own. */
const CODE: Record<FleetFailure['code'], ErrorCode> = {
  OFF: 'UNAVAILABLE',
  UNREACHABLE: 'UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  BAD_CODE_FORMAT: 'VALIDATION',
  BAD_CODE: 'FORBIDDEN',
  NO_CODE: 'FORBIDDEN',
  UNKNOWN_PEER: 'FORBIDDEN',
  REVOKED: 'FORBIDDEN',
  FORBIDDEN: 'FORBIDDEN',
  BAD_FRAME: 'BAD_REQUEST',
  TOO_LARGE: 'BAD_REQUEST',
  REPLAYED: 'BAD_REQUEST',
  BAD_REPLY: 'BAD_REQUEST',
};

const api = <T>(result: Result<T, FleetFailure['code']>): Result<T> =>
  result.ok ? result : fail(CODE[result.error.code], result.error.message);

/** Handlers for fleetCommands (args already parsed); each answers coded data. */
export function fleetHandlers(fleet: Fleet): FleetHandlers {
  return {
    fleetStatus: async () => ok(await fleet.status()),
    fleetPair: async () => api(fleet.pair()),
    fleetJoin: async ({ address, code }) => api(await fleet.join(address, code)),
    fleetRevoke: async ({ id }) => api(await fleet.revoke(id)),
    fleetCommand: async ({ ids, command }) => ok({ results: await fleet.command(ids, command) }),
  };
}
