// electron-builder afterPack hook: sets Electron's fuses in the packaged binary, then checks that the native code
// the app loads at run time was unpacked from the asar archive (a .node file or a shared library inside app.asar
// cannot be loaded). electron-builder imports it (its hooks may be ES modules).
import * as electronFuses from '@electron/fuses';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A hardened binary: no NODE_OPTIONS or --inspect, encrypted cookies, the app only from a checked asar. It may still
 * run as plain Node (ELECTRON_RUN_AS_NODE): the agent forks its job hosts, CPU benchmark, hardware probe and embedded
 * devnet with child_process.fork, which starts this binary that way, and with the fuse off fork does not work
 * (Electron's fuses documentation). Turning it off needs those children started as Electron utility processes.
 */
export function fuseConfig(fuses, platform, arch) {
  const { FuseVersion, FuseV1Options: F } = fuses;
  return {
    version: FuseVersion.V1,
    // Flipping fuses breaks the ad-hoc signature that arm64 macOS needs to start at all (a real signature comes after).
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
    [F.RunAsNode]: true,
    [F.EnableCookieEncryption]: true,
    [F.EnableNodeOptionsEnvironmentVariable]: false,
    [F.EnableNodeCliInspectArguments]: false,
    [F.EnableEmbeddedAsarIntegrityValidation]: true,
    [F.OnlyLoadAppFromAsar]: true,
    [F.GrantFileProtocolExtraPrivileges]: false,
  };
}

/** The Electron binary electron-builder wrote (on macOS the .app bundle, which @electron/fuses opens itself). */
export function executable(context) {
  const { electronPlatformName: platform, appOutDir, packager } = context;
  const name = packager.appInfo.productFilename;
  if (platform === 'darwin') return join(appOutDir, `${name}.app`);
  if (platform === 'win32') return join(appOutDir, `${name}.exe`);
  return join(appOutDir, packager.executableName);
}

export const resourcesDir = (context) =>
  context.electronPlatformName === 'darwin'
    ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources')
    : join(context.appOutDir, 'resources');

const ARCHS = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };
const LIBRARY = { linux: /^libonnxruntime\.so/, darwin: /^libonnxruntime.*\.dylib$/, win32: /^onnxruntime\.dll$/ };

/** What is missing from app.asar.unpacked for this platform; empty when everything loadable is there. */
export function unpackedProblems(resources, projectDir, platform, arch) {
  const unpacked = join(resources, 'app.asar.unpacked');
  const problems = [];
  const ort = join(unpacked, 'node_modules', 'onnxruntime-node', 'bin');
  const napi = existsSync(ort) ? readdirSync(ort).find((d) => d.startsWith('napi-v')) : undefined;
  const dir = napi && join(ort, napi, platform, arch);
  if (!dir || !existsSync(join(dir, 'onnxruntime_binding.node')))
    problems.push(`onnxruntime's binding for ${platform}/${arch} is not unpacked`);
  else if (!readdirSync(dir).some((f) => LIBRARY[platform].test(f)))
    problems.push(`onnxruntime's shared library for ${platform}/${arch} is not unpacked`);
  // The hardware probe falls back to JavaScript without its addon, so a build without one is allowed; a built one must be unpacked.
  const built = join(projectDir, 'native', 'build', 'Release');
  for (const file of existsSync(built) ? readdirSync(built).filter((f) => f.endsWith('.node')) : []) {
    if (!existsSync(join(unpacked, 'native', 'build', 'Release', file))) problems.push(`the native hardware addon ${file} is not unpacked`);
  }
  if (dependsOnAnvil(projectDir) && !anvilUnpacked(unpacked)) problems.push("the embedded devnet's chain (anvil) is not unpacked");
  return problems;
}

/** Whether the app ships anvil (the embedded devnet's chain): a runtime dependency in its package.json. */
function dependsOnAnvil(projectDir) {
  const file = join(projectDir, 'package.json');
  return existsSync(file) && '@foundry-rs/anvil' in (JSON.parse(readFileSync(file, 'utf8')).dependencies ?? {});
}

/** An anvil program in one of @foundry-rs's platform packages (the one npm installed for this machine). */
function anvilUnpacked(unpacked) {
  const scope = join(unpacked, 'node_modules', '@foundry-rs');
  const packages = existsSync(scope) ? readdirSync(scope).filter((name) => name.startsWith('anvil-')) : [];
  return packages.some((name) => ['anvil', 'anvil.exe'].some((exe) => existsSync(join(scope, name, 'bin', exe))));
}

export default async function afterPack(context, fuses = electronFuses) {
  const platform = context.electronPlatformName;
  const arch = ARCHS[context.arch] ?? String(context.arch);
  const problems = unpackedProblems(resourcesDir(context), context.packager.projectDir, platform, arch);
  if (problems.length > 0)
    throw new Error(`The packaged app could not load its native code: ${problems.join('; ')}. Check asarUnpack in electron-builder.yml.`);
  await fuses.flipFuses(executable(context), fuseConfig(fuses, platform, arch));
}
