/**
 * The page's address as a hash route: `#/<view>[/<section>][?<name>=<value>…]`, e.g. `#/settings/power` or
 * `#/earnings?range=week`. Pure, so the rules are tested without a page; `state/nav.svelte.ts` follows the address.
 */
export const VIEWS = ['dashboard', 'devices', 'wallet', 'earnings', 'fleet', 'settings', 'activity'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  /** `not-found`: a route to no page, shown as such rather than as another page under the wrong address. */
  view: View | 'not-found';
  /** A part of the page to scroll to (a settings section, a receipt). */
  section: string | null;
  /** Choices kept in the address, such as the earnings chart's range. */
  params: URLSearchParams;
}

const isView = (name: string): name is View => VIEWS.some((view) => view === name);

/**
 * "#/settings/power" → settings, power. No route (an empty address, or the token the headless link carries) is the
 * dashboard; a route to no page is `not-found`.
 */
export function routeOf(hash: string): Route {
  const route = hash.replace(/^#/, '');
  if (!route.startsWith('/')) return { view: 'dashboard', section: null, params: new URLSearchParams() };
  const [path = '', query = ''] = route.split('?', 2);
  const [name = 'dashboard', section = null] = path.split('/').filter(Boolean);
  return { view: isView(name) ? name : 'not-found', section, params: new URLSearchParams(query) };
}

/** The address of a page, with its choices: hrefOf('earnings', { range: 'week' }) → "#/earnings?range=week". */
export function hrefOf(view: View, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `#/${view}${query ? `?${query}` : ''}`;
}
