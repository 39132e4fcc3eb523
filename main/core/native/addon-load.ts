/**
 * Finding and loading the N-API addon (native/), apart from the probe's schemas: the probe child, the input watcher
 * and the process controls load it without them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type { ProviderInfo } from '../../common/hardware.js';
import { fail, ok, type Result } from '../../common/result.js';

const ADDON = 'synor_hardware.node';

/** The driver and CPU calls of native/src/addon.cc; each answer is parsed by native-probe.ts. */
export interface Addon {
  /** Off Linux only: on Linux the kernel's /proc/cpuinfo is the CPU's one truth (probe.ts). */
  cpu?: () => unknown;
  nvidia(library: string): Promise<unknown>;
  amd(library: string): Promise<unknown>;
  intel(library: string): Promise<unknown>;
  apple(): Promise<unknown>;
}

/** The addon and where it came from, or why none loaded (the caller falls back to JS and says so). */
export type AddonLoad = Result<{ addon: Addon; provider: ProviderInfo }, 'NO_ADDON'>;

/** The app's folder (the one whose package.json is ours), found upward from where the process started. */
export function packageRoot(starts = [process.argv[1] ?? '', process.cwd()]): string | null {
  for (const start of starts.filter(Boolean)) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      try {
        if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'synor-contributor') return dir;
      } catch {
        // no package.json here, or not ours: keep climbing
      }
      if (dirname(dir) === dir) break;
    }
  }
  return null;
}

/** node-gyp-build order: prebuilds/<platform>-<arch>/ → native/build/Release → none (the caller falls back to JS). */
export function loadAddon(root = packageRoot(), platform = process.platform, arch = process.arch): AddonLoad {
  if (!root) return fail('NO_ADDON', 'app folder not found');
  const candidates: [ProviderInfo['kind'], string][] = [
    ['prebuilt', join(root, 'prebuilds', `${platform}-${arch}`, ADDON)],
    ['native', join(root, 'native', 'build', 'Release', ADDON)],
  ];
  const problems: string[] = [];
  for (const [kind, file] of candidates) {
    if (!existsSync(file)) continue;
    try {
      // Not import.meta.url: the Electron main process is bundled as CommonJS, where it does not exist.
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a native module comes without types; each user checks that the function it calls is there
      const addon = createRequire(join(root, 'package.json'))(file) as Addon;
      // Relative to the app folder: the full path says nothing to the user and leaks their home folder into screenshots.
      return ok({
        addon,
        provider: { kind, reason: `${kind === 'prebuilt' ? 'prebuilt' : 'locally built'} addon ${relative(root, file)}` },
      });
    } catch (error) {
      problems.push(`${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  return fail('NO_ADDON', problems.length ? `native addon failed to load (${problems.join('; ')})` : 'native addon not built');
}
