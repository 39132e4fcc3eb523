/**
 * Compiles the payout contracts offline with solcjs and writes artifacts.json, which the devnet loads at run time
 * (solc is a dev dependency and takes seconds; the artifact is checked against the sources by a test).
 * Run: node --import tsx main/devnet/chain/compile.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/fs/atomic.js';
import { ArtifactsSchema, CONTRACT_NAMES, type Artifacts } from './artifacts.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS_FILE = join(here, 'artifacts.json');

/** Anvil supports newer forks too; cancun is the newest every mainstream EVM chain and local node runs. */
export const EVM_VERSION = 'cancun';
const SETTINGS = {
  evmVersion: EVM_VERSION,
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
};

const ozRoot = dirname(require.resolve('@openzeppelin/contracts/package.json'));
const versionOf = (packageFile: string): string =>
  z.object({ version: z.string() }).parse(JSON.parse(readFileSync(packageFile, 'utf8'))).version;
const ozVersion = versionOf(join(ozRoot, 'package.json'));
const solcVersion = versionOf(require.resolve('solc/package.json'));

const ownSources = (): Record<string, string> =>
  Object.fromEntries(CONTRACT_NAMES.map((name) => [`${name}.sol`, readFileSync(join(here, `${name}.sol`), 'utf8')]));

/** Everything that decides the bytecode: our sources, compiler and library versions, settings. */
export function sourceHash(): string {
  const input = JSON.stringify({ sources: ownSources(), ozVersion, solcVersion, settings: SETTINGS });
  return createHash('sha256').update(input).digest('hex');
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

export function compile(): Artifacts {
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- solc ships no types; these are the two calls its README documents
  const solc = require('solc') as { version(): string; compile(input: string, callbacks: object): string };
  const sources = Object.fromEntries(Object.entries(ownSources()).map(([file, content]) => [file, { content }]));
  const findImports = (path: string): { contents: string } | { error: string } => {
    const prefix = '@openzeppelin/contracts/';
    if (!path.startsWith(prefix)) return { error: `unknown import ${path}` };
    return { contents: readFileSync(join(ozRoot, path.slice(prefix.length)), 'utf8') };
  };
  const input = JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS });
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- solc's standard JSON output, for the outputSelection asked above; a build-time tool, not a boundary
  const output = JSON.parse(solc.compile(input, { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contracts = Object.fromEntries(
    CONTRACT_NAMES.map((name) => {
      const out = output.contracts[`${name}.sol`]?.[name];
      if (!out) throw new Error(`solc produced no ${name}`);
      return [name, { abi: out.abi, bytecode: `0x${out.evm.bytecode.object}` }];
    }),
  );
  return ArtifactsSchema.parse({ sourceHash: sourceHash(), solcVersion: solc.version(), evmVersion: EVM_VERSION, contracts });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFileAtomic(ARTIFACTS_FILE, `${JSON.stringify(compile(), null, 1)}\n`);
  console.log(`wrote ${ARTIFACTS_FILE}`);
}
