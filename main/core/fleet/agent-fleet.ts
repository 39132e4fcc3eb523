import { hostname } from 'node:os';
import { fail, ok } from '../../common/result.js';
import type { AgentState } from '../../common/state.js';
import type { Contribution } from '../contribution.js';
import type { Clock, Logger } from '../ports.js';
import type { SettingsKeeper } from '../settings/settings-keeper.js';
import { commandPatch, describeCommand } from './command-patch.js';
import { openFleet, type Fleet } from './fleet.js';
import { memberReport } from './report.js';

/** The fleet wired to the agent's parts: its report from the agent's state, its commands through the settings keeper. */
export interface AgentFleetDeps {
  dataDir: string;
  version: string;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  state(): AgentState;
  contribution: Pick<Contribution, 'earnings' | 'estimates'>;
  keeper: Pick<SettingsKeeper, 'patch'>;
  /** A line in the activity log. */
  log(message: string): void;
}

export function openAgentFleet(d: AgentFleetDeps): Promise<Fleet> {
  const name = (): string => hostname();
  return openFleet({
    dataDir: d.dataDir,
    clock: d.clock,
    logger: d.logger,
    version: d.version,
    name,
    report: () =>
      memberReport({
        state: d.state,
        earnings: (query) => d.contribution.earnings(query),
        estimates: (days) => d.contribution.estimates(days),
        name: name(),
        now: () => d.clock.now(),
      }),
    async apply(command, from) {
      const saved = await d.keeper.patch(commandPatch(command, d.clock.now()));
      if (!saved.ok) return fail('REFUSED', saved.error.message);
      d.log(`“${from.name}”, the machine that owns this fleet, ${describeCommand(command)}.`);
      return ok(undefined);
    },
    told: d.log,
  });
}
