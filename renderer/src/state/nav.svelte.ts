import { hrefOf, routeOf, type Route, type View } from '../lib/route';

export { hrefOf, VIEWS, type View } from '../lib/route';

/**
 * Which screen is shown, kept in the address as a hash route (lib/route.ts), so Back/Forward and reload keep the page
 * and its choices. Any view may move the user on (e.g. the welcome card to the wallet) by setting `nav.view`.
 */
class Nav {
  #route = $state.raw<Route>(routeOf(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.#route = routeOf(location.hash)));
  }

  get section(): string | null {
    return this.#route.section;
  }

  get view(): View | 'not-found' {
    return this.#route.view;
  }

  /** A new history entry, so Back returns to the page before. */
  set view(view: View) {
    if (view !== this.#route.view) location.hash = hrefOf(view);
  }

  /** A choice of this page kept in the address (null when the address has none). */
  param(name: string): string | null {
    return this.#route.params.get(name);
  }

  /** Keeps a choice of page `view` in the address, as a new history entry: Back returns to the choice before. */
  choose(view: View, name: string, value: string): void {
    const params = Object.fromEntries(this.#route.view === view ? this.#route.params : []);
    location.hash = hrefOf(view, { ...params, [name]: value });
  }
}

export const nav = new Nav();
