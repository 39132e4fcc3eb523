/** Which screen is shown; any view may move the user on (e.g. the welcome card to the wallet). */
export type View = 'dashboard' | 'devices' | 'wallet' | 'earnings' | 'settings' | 'activity';
export const nav = $state<{ view: View }>({ view: 'dashboard' });
