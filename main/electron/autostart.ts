/**
 * Start at login. macOS and Windows have login items (app.setLoginItemSettings); Linux has none, so the XDG
 * autostart spec's .desktop file is written or removed with the setting. Plain fs: testable with a temp HOME.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { App } from 'electron';
import { writeFileAtomic } from '../core/fs/atomic.js';

export const HIDDEN_ARG = '--hidden';
const ENTRY_NAME = 'synor-contributor.desktop';

export const autostartFile = (env: NodeJS.ProcessEnv, home: string): string =>
  join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'autostart', ENTRY_NAME);

/** Quoted as the Desktop Entry spec asks: double quotes, with " ` $ \ escaped, and % doubled. */
const quote = (arg: string): string => (/^[\w/.,:=+-]+$/.test(arg) ? arg : `"${arg.replace(/["`$\\]/g, '\\$&')}"`).replace(/%/g, '%%');

/**
 * What to start: the AppImage itself ($APPIMAGE; process.execPath is inside its temporary mount, gone after
 * exit), else the installed binary (deb: /opt/Synor Contributor/synor-contributor), plus the app folder when
 * unpackaged (a development Electron needs to be told which app to run).
 */
export function launchCommand(env: NodeJS.ProcessEnv, execPath: string, appArgs: readonly string[]): string[] {
  return [env['APPIMAGE'] || execPath, ...appArgs, HIDDEN_ARG];
}

export const desktopEntry = (command: readonly string[]): string =>
  [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Synor Contributor',
    'Comment=Share spare GPU/CPU with the Synor compute network',
    `Exec=${command.map(quote).join(' ')}`,
    'Icon=synor-contributor',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');

export async function setLinuxAutostart(on: boolean, file: string, command: readonly string[]): Promise<void> {
  if (!on) return rm(file, { force: true });
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, desktopEntry(command));
}

export interface StartAtLogin {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  execPath: string;
  appArgs: readonly string[];
  app: Pick<App, 'setLoginItemSettings'>;
}

export function applyStartAtLogin(on: boolean, o: StartAtLogin): Promise<void> {
  if (o.platform === 'linux') return setLinuxAutostart(on, autostartFile(o.env, o.home), launchCommand(o.env, o.execPath, o.appArgs));
  // Windows passes the arguments; macOS ignores them and says wasOpenedAtLogin instead (startedHidden).
  o.app.setLoginItemSettings({ openAtLogin: on, args: [...o.appArgs, HIDDEN_ARG] });
  return Promise.resolve();
}

/** Started by the login (or asked to start in the tray): no window until the user opens one. */
export const startedHidden = (argv: readonly string[], platform: NodeJS.Platform, app: Pick<App, 'getLoginItemSettings'>): boolean =>
  argv.includes(HIDDEN_ARG) || (platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true);
