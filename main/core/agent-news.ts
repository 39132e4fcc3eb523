import type { ActivityEntry, AgentEvent, AgentState, Notice, Tell } from '../common/state.js';
import type { Settings } from '../common/settings.js';
import { networkNews, tellFiled, type NetworkMemory } from './activity-news.js';
import { Emitter } from './events.js';
import { freshMemory, tell } from './notices/tell.js';
import type { Clock } from './ports.js';

export interface AgentNewsOptions {
  clock: Pick<Clock, 'now'>;
  settings(): Settings;
  /** The agent's state as it stands, with these notices. */
  read(notices: readonly Notice[]): AgentState;
  /** A line in the activity log. */
  log(kind: ActivityEntry['kind'], message: string): void;
  /** After each state is told: whether tasks are running. */
  published(running: boolean): void;
}

/**
 * The agent's state as the page and the log hear of it: every change published as an event, the news in it logged
 * and told (a notification, when the user wants that kind), and the notices the user has not dismissed.
 */
export class AgentNews {
  readonly events = new Emitter<AgentEvent>();
  readonly tells = new Emitter<Tell>();
  private notices: Notice[] = [];
  private told = freshMemory();
  private wasOffline: NetworkMemory = null;

  constructor(private readonly o: AgentNewsOptions) {}

  state(): AgentState {
    return this.o.read(this.notices);
  }

  publish(): AgentState {
    const current = this.state();
    this.o.published(current.work.tasks.some((task) => task.state === 'running'));
    const news = tell(current, this.told, this.o.clock.now(), (kind) => this.wanted(kind));
    this.told = news.memory;
    this.events.emit({ type: 'state', state: current });
    // The activity log keeps them (headless mode shows them there); the desktop app also shows each as a notification.
    const network = networkNews(current, this.wasOffline);
    this.wasOffline = network.memory;
    if (network.said) this.o.log('network', network.said);
    for (const item of news.tells) {
      this.o.log(tellFiled(item.kind), item.body);
      this.tells.emit(item);
    }
    return current;
  }

  /** News a part found by itself: logged (unless it was already), and told if the user wants that kind told. */
  say(item: Tell, logged = false): void {
    if (!logged) this.o.log(tellFiled(item.kind), item.body);
    if (this.wanted(item.kind)) this.tells.emit(item);
  }

  notice(...added: Notice[]): void {
    this.notices = [...this.notices, ...added];
  }

  dismiss(id: string): AgentState {
    this.notices = this.notices.filter((notice) => notice.id !== id);
    return this.publish();
  }

  private wanted(kind: Tell['kind']): boolean {
    return this.o.settings().notifications.includes(kind);
  }
}
