/**
 * Updates through electron-updater: check at start and every few hours, download in the background, offer a
 * restart (tray item and notification). Off in development and when the build has no feed: electron-builder
 * writes resources/app-update.yml only when `publish` names one.
 */
import { join } from 'node:path';
import type { Logger } from '../core/ports.js';

export const CHECK_EVERY_MS = 6 * 3_600_000;

/** The part of electron-updater's AppUpdater used here. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(): void;
}

export interface UpdateContext {
  isPackaged: boolean;
  resourcesPath: string;
  exists: (file: string) => boolean;
}

/** Why updates are off, or null when they can run. */
export function updatesOff(c: UpdateContext): string | null {
  if (!c.isPackaged) return 'a development build does not update itself';
  if (!c.exists(join(c.resourcesPath, 'app-update.yml'))) return 'this build has no update feed';
  return null;
}

export interface Updates {
  /** Ends the periodic checks. */
  stop(): void;
}

export function startUpdates(
  updater: UpdaterLike,
  o: { logger: Logger; every: (ms: number, fn: () => void) => () => void; onReady: (version: string) => void },
): Updates {
  updater.autoDownload = true;
  // Installed when the user quits anyway; the restart offer only makes it sooner.
  updater.autoInstallOnAppQuit = true;
  updater.on('update-downloaded', (info) => o.onReady(info.version));
  updater.on('error', (error) => o.logger.warn(`update check failed: ${error.message}`));
  const check = (): void => void updater.checkForUpdates().catch((error: Error) => o.logger.warn(`update check failed: ${error.message}`));
  check();
  return { stop: o.every(CHECK_EVERY_MS, check) };
}
