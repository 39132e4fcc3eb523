// The local door (issue 26): floods of loopback connections without the token against the real headless agent.
import { describeDoor, doorFailures, floodHeadless } from './flood.js';
import { clean, type SoakCase } from './case.js';

export const DOOR_CASES: SoakCase[] = [
  {
    name: 'connection flood (N idle, N slowloris, slow body, no token)',
    fast: false,
    run: async () => {
      // Against a limit of 1024 open files, four times that many idle connections: what 2 × 10,500 did to the default.
      const size = { idle: 4000, slowloris: 400, deadlineMs: 30_000 };
      const outcome = await floodHeadless(size);
      const failures = doorFailures(outcome, size);
      return {
        ...clean,
        ok: failures.length === 0,
        outcome: `${describeDoor(outcome, size)}${failures.length ? ` — ${failures.join('; ')}` : ''}`,
      };
    },
  },
];
