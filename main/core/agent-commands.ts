import type { z } from 'zod';
import { commands, isCommandName, RequestSchema, type CommandName, type CommandResult } from '../common/contract.js';
import { errorDetail, errorText, fail, fieldErrors, ok, type Result } from '../common/result.js';
import { PRESETS } from '../common/settings.js';
import type { AgentState } from '../common/state.js';
import type { ActivityLog } from './activity.js';
import type { Contribution } from './contribution.js';
import { delegationHandlers } from './delegation-commands.js';
import type { Member } from './network/member.js';
import { fleetHandlers } from './fleet/commands.js';
import type { Fleet } from './fleet/fleet.js';
import type { DeviceHistoryRecorder } from './monitor/device-history.js';
import type { HardwareService } from './hardware/service.js';
import type { Clock, Logger } from './ports.js';
import type { SettingsKeeper } from './settings/settings-keeper.js';
import { walletHandlers } from './wallet/commands.js';
import type { WalletController } from './wallet/controller.js';

type Handlers = {
  [C in CommandName]: (args: z.output<(typeof commands)[C]['args']>) => Promise<Result<CommandResult<C>>>;
};

export interface CommandDeps {
  state(): AgentState;
  keeper: SettingsKeeper;
  activity: ActivityLog;
  hardware: HardwareService;
  contribution: Contribution;
  wallet: WalletController;
  /** This machine as a fleet member: its device key and the owner's delegation it earns under. */
  member: Member;
  fleet: Fleet;
  history: Pick<DeviceHistoryRecorder, 'view'>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** Removes a notice and says what the state is now. */
  dismissNotice(id: string): AgentState;
}

/** Runs `after` once each wallet command finished: a new, unlocked or removed wallet changes who can earn. */
function walletAndThen<H extends Record<string, (args: never) => Promise<unknown>>>(handlers: H, after: () => void): H {
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the same names, each handler wrapped with its own signature
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      async (args: never) => {
        const result = await handler(args);
        after();
        return result;
      },
    ]),
  ) as H;
}

/** The command table: what each command of the contract (common/contract.ts) does, on parsed arguments. */
function commandHandlers(d: CommandDeps): Handlers {
  const { contribution, keeper } = d;
  const notConnected = () => fail('UNAVAILABLE', contribution.work().blocker ?? 'Not connected to a network yet.');
  // Earnings come from the checked ledger, wallet locked or not: only while it is checked are they not there.
  const unreadable = () => fail('UNAVAILABLE', contribution.whyNoEarnings());
  const wallet = walletAndThen(walletHandlers(d.wallet, d.logger), () => void contribution.refresh());
  return {
    getState: async () => ok(d.state()),
    setShare: async ({ on }) => {
      const saved = await keeper.patch({ sharing: on });
      return saved.ok ? ok(d.state()) : saved;
    },
    getSettings: async () => ok(keeper.settings),
    updateSettings: (patch) => keeper.patch(patch),
    applyPreset: ({ name }) => keeper.patch(PRESETS[name]),
    getActivity: async () => ok(d.activity.newest()),
    getHardware: async () => ok(d.hardware.snapshot()),
    runBenchmark: async () => {
      d.hardware.benchmark().catch(() => undefined); // the outcome arrives in the snapshot
      return ok(d.hardware.snapshot());
    },
    submitWebGpuReport: ({ report }) => d.hardware.acceptWebGpuReport(report),
    getEarnings: async (q) => {
      const summary = contribution.earnings(q);
      return summary ? ok(summary) : unreadable();
    },
    exportEarningsCsv: async (q) => {
      const csv = await contribution.csv(q);
      if (csv === null) return unreadable();
      return ok({ fileName: `synor-earnings-${new Date(d.clock.now()).toISOString().slice(0, 10)}.csv`, csv });
    },
    getReceipts: async ({ limit }) => {
      const receipts = contribution.receipts(limit);
      return receipts ? ok(receipts) : unreadable();
    },
    getEstimates: async ({ days }) => {
      const estimates = contribution.estimates(days);
      return estimates ? ok(estimates) : notConnected();
    },
    ...wallet,
    // A claim needs the network: the embedded devnet starts first if it rests.
    walletClaim: (args) => contribution.whileNeeded(() => wallet.walletClaim(args)),
    ...delegationHandlers({ wallet: d.wallet.service, member: d.member, contribution, logger: d.logger }),
    getDeviceHistory: async () => ok(d.history.view()),
    dismissNotice: async ({ id }) => ok(d.dismissNotice(id)),
    ...fleetHandlers(d.fleet),
  };
}

/** `Agent.call`: parses an untrusted `{ cmd, args }`, runs its handler, and never throws. */
export function commandCaller(d: CommandDeps): (request: unknown) => Promise<Result<unknown>> {
  const handlers = commandHandlers(d);
  return async (request) => {
    const parsed = RequestSchema.safeParse(request);
    if (!parsed.success) return fail('BAD_REQUEST', 'A request is an object { cmd, args }.');
    const { cmd, args } = parsed.data;
    if (!isCommandName(cmd)) return fail('UNKNOWN_COMMAND', `There is no command "${cmd}".`);
    const checked = commands[cmd].args.safeParse(args);
    if (!checked.success) {
      return fail('VALIDATION', `Some values for "${cmd}" are not valid; nothing was saved.`, fieldErrors(checked.error));
    }
    try {
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- args were parsed by the schema of `cmd` just above; TypeScript cannot tie handlers[cmd] to it
      const handler = handlers[cmd] as (a: unknown) => Promise<Result<unknown>>;
      return await handler(checked.data);
    } catch (error) {
      d.logger.error(`${cmd} failed: ${errorDetail(error)}`);
      return fail('INTERNAL', `The agent could not run "${cmd}": ${errorText(error)}`);
    }
  };
}
