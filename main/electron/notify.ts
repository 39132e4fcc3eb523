/** Shows the agent's news as OS notifications; clicking one opens the window. */
import type { NotificationConstructorOptions } from 'electron';
import type { Tell } from '../common/state.js';

export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown;
  show(): void;
}

export interface NotificationClass {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

export function notifier(Notification: NotificationClass, open: () => void): (item: Tell) => void {
  return (item) => {
    // Without a notification daemon (some Linux desktops) the news is still in the activity log.
    if (!Notification.isSupported()) return;
    const shown = new Notification({ title: item.title, body: item.body, silent: item.kind !== 'wallet' });
    shown.on('click', open);
    shown.show();
  };
}
