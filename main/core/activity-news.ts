/**
 * What the activity log says about changes it does not hear of as commands: news told to the user, filed by its
 * kind (good news is not a problem), and the network going offline and coming back. Pure, so the rules are tested
 * without an agent.
 */
import type { TellKind } from '../common/settings.js';
import type { ActivityEntry, AgentState } from '../common/state.js';

const TELL_FILED: Record<TellKind, ActivityEntry['kind']> = {
  pause: 'policy',
  wallet: 'wallet',
  claim: 'wallet',
  device: 'notice',
  network: 'network',
  update: 'status',
  fleet: 'notice',
};

/** Where a notification's text goes in the activity log. */
export const tellFiled = (kind: TellKind): ActivityEntry['kind'] => TELL_FILED[kind];

/** Whether the network was offline at the last state seen (null: not known yet, nothing to compare with). */
export type NetworkMemory = boolean | null;

/**
 * A sentence when the network went offline (also at a start without it) or came back since the last state. "Back"
 * means it answers again (connected, or reached with no work to give); connecting and errors change nothing.
 */
export function networkNews(state: AgentState, wasOffline: NetworkMemory): { said: string | null; memory: NetworkMemory } {
  const code = state.work.network?.code;
  const offline = code === 'offline' ? true : code === 'connected' || code === 'no-work' ? false : wasOffline;
  if (offline === null || offline === wasOffline || (!offline && wasOffline === null)) return { said: null, memory: offline };
  const queued = state.work.network?.queued ?? 0;
  const said = offline
    ? `The network cannot be reached. Finished work${queued > 0 ? ` (${queued} ${queued === 1 ? 'result' : 'results'})` : ''} is kept and sent once it is back; new work waits.`
    : 'The network can be reached again: work goes on.';
  return { said, memory: offline };
}
