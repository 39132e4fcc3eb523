import { join } from 'node:path';

export interface AppPaths {
  /** Settings and other small files the user may want to back up. */
  configDir: string;
  /** Ledger, model cache, queued results. */
  dataDir: string;
}

const DIR_NAME = 'synor-contributor';
const PRODUCT_NAME = 'Synor Contributor';

/** The OS's usual places (XDG, AppData, Application Support); SYNOR_HOME puts everything under one folder. */
export function appPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): AppPaths {
  const override = env['SYNOR_HOME'];
  if (override) return { configDir: join(override, 'config'), dataDir: join(override, 'data') };
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- every other platform (Linux, the BSDs…) keeps XDG's folders
  switch (platform) {
    case 'win32': {
      const roaming = env['APPDATA'] ?? join(home, 'AppData', 'Roaming');
      const local = env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local');
      return { configDir: join(roaming, PRODUCT_NAME), dataDir: join(local, PRODUCT_NAME) };
    }
    case 'darwin': {
      const dir = join(home, 'Library', 'Application Support', PRODUCT_NAME);
      return { configDir: dir, dataDir: dir };
    }
    default:
      return {
        configDir: join(env['XDG_CONFIG_HOME'] || join(home, '.config'), DIR_NAME),
        dataDir: join(env['XDG_DATA_HOME'] || join(home, '.local', 'share'), DIR_NAME),
      };
  }
}
