import type { AgentEvent } from '../common/state.js';

/** How often at most a page hears the agent's state: four times a second follows any change the eye can. */
export const STATE_GAP_MS = 250;

export interface PacedEvents {
  /** Takes the agent's next event (an `Agent.subscribe` listener). */
  send(event: AgentEvent): void;
  /** Drops what is waiting and stops the timer: the page went away. */
  stop(): void;
}

/**
 * The agent's events as a page hears them: the state at most once every `gapMs` (a change after a quiet spell at
 * once, the newest of a burst when the gap ends), every other event at once and after the state that came before it.
 * A sharing agent changes its state tens of times a second (each task is leased, run, sent and paid): a page sent
 * each of them, 15 KB of JSON 55 times a second, kept Chromium busy half of a core.
 */
export function pacedEvents(deliver: (event: AgentEvent) => void, gapMs = STATE_GAP_MS): PacedEvents {
  let waiting: AgentEvent | null = null;
  let gap: ReturnType<typeof setTimeout> | null = null;
  const sendWaiting = (): void => {
    if (!waiting) return;
    const event = waiting;
    waiting = null;
    deliver(event);
  };
  const gapEnded = (): void => {
    gap = null;
    if (waiting) startGap();
  };
  // Sends the waiting state and holds the next one back for a gap.
  function startGap(): void {
    sendWaiting();
    gap = setTimeout(gapEnded, gapMs);
    gap.unref();
  }
  return {
    send(event) {
      if (event.type !== 'state') {
        sendWaiting();
        deliver(event);
        return;
      }
      waiting = event;
      if (!gap) startGap();
    },
    stop() {
      if (gap) clearTimeout(gap);
      gap = null;
      waiting = null;
    },
  };
}
