/**
 * Which screen is shown, kept in the address as a hash route (#/settings), so Back/Forward and reload keep the
 * page. Any view may move the user on (e.g. the welcome card to the wallet) by setting `nav.view`.
 */
export const VIEWS = ['dashboard', 'devices', 'wallet', 'earnings', 'settings', 'activity'] as const;
export type View = (typeof VIEWS)[number];

const isView = (name: string): name is View => (VIEWS as readonly string[]).includes(name);

/** "#/settings" → "settings"; anything else (empty, the token fragment, junk) is the dashboard. */
export function viewOf(hash: string): View {
  const name = hash.replace(/^#\/?/, '').split(/[?/]/)[0] ?? '';
  return isView(name) ? name : 'dashboard';
}

/** "#/settings/power" → "power": a part of the page to scroll to (a settings section, a receipt). */
export const sectionOf = (hash: string): string | null => hash.replace(/^#\/?/, '').split('/')[1] ?? null;

export const hrefOf = (view: View): string => `#/${view}`;

class Nav {
  #view = $state<View>(viewOf(location.hash));
  #section = $state<string | null>(sectionOf(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.#view = viewOf(location.hash);
      this.#section = sectionOf(location.hash);
    });
  }

  get section(): string | null {
    return this.#section;
  }

  get view(): View {
    return this.#view;
  }

  /** A new history entry, so Back returns to the page before. */
  set view(view: View) {
    if (view !== this.#view) location.hash = hrefOf(view);
  }
}

export const nav = new Nav();
