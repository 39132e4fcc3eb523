// Decides whether the Electron app can start here, and if not, says why in one line.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Seconds to wait for Electron's first-use download before giving up on it for this run. */
export const DOWNLOAD_TIMEOUT_MS = 20_000;

/** @returns {string | null} why no window can be shown, or null */
export function displayProblem(platform, env) {
  if (platform !== 'linux') return null;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? null : 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)';
}

/** Where the electron package keeps its binary: path.txt names it inside dist/, or ELECTRON_OVERRIDE_DIST_PATH. */
export function electronBinary(electronDir, env) {
  const pathFile = join(electronDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return join(env.ELECTRON_OVERRIDE_DIST_PATH, name ?? 'electron');
  return name ? join(electronDir, 'dist', name) : null;
}

/** Runs the electron package's own installer (a download); resolves to null on success or the reason it failed. */
export function downloadElectron(electronDir, timeoutMs = DOWNLOAD_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(electronDir, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill();
      resolve(`the download did not finish within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const cause = stderr.match(/(Error|error)[^\n]*/)?.[0] ?? `installer exited with code ${code}`;
      resolve(code === 0 ? null : cause.slice(0, 160));
    });
  });
}

/**
 * @returns {Promise<{ binary: string } | { reason: string }>}
 */
export async function findElectron({ electronDir, platform = process.platform, env = process.env, download = downloadElectron }) {
  const display = displayProblem(platform, env);
  if (display) return { reason: display };
  if (!existsSync(join(electronDir, 'package.json'))) return { reason: 'the electron package is not installed' };
  let binary = electronBinary(electronDir, env);
  if (binary && existsSync(binary)) return { binary };
  const failed = await download(electronDir);
  binary = electronBinary(electronDir, env);
  if (failed || !binary || !existsSync(binary)) {
    return { reason: `the Electron binary is missing and could not be downloaded (${failed ?? 'no binary after install'})` };
  }
  return { binary };
}
