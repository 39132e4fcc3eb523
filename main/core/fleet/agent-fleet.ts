import { hostname } from 'node:os';
import { fail, ok } from '../../common/result.js';
import type { AgentState, Tell } from '../../common/state.js';
import type { Contribution } from '../contribution.js';
import type { Clock, Logger } from '../ports.js';
import type { SettingsKeeper } from '../settings/settings-keeper.js';
import { commandPatch, describeCommand } from './command-patch.js';
import { openFleet, type Fleet } from './fleet.js';
import type { FleetAlertLimits } from './alerts.js';
import { memberReport } from './report.js';
import { watchFleet } from './watch.js';

/** The fleet wired to the agent's parts: its report from the agent's state, its commands through the settings keeper. */
export interface AgentFleetDeps {
  dataDir: string;
  version: string;
  clock: Clock;
  logger: Logger;
  state(): AgentState;
  contribution: Pick<Contribution, 'earnings' | 'estimates'>;
  keeper: Pick<SettingsKeeper, 'patch'>;
  /** A line in the activity log. */
  log(message: string): void;
  /** The user's limits for news about members, and how news is told (the log, and a notification if wanted). */
  alertLimits(): FleetAlertLimits;
  say(tell: Tell): void;
}

export async function openAgentFleet(d: AgentFleetDeps): Promise<Fleet> {
  const name = (): string => hostname();
  const fleet = await openFleet({
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
  return watchFleet(fleet, { clock: d.clock, logger: d.logger, limits: d.alertLimits, say: d.say });
}
