// Proves every layering rule in eslint.config.js (and the size limits) fires on a fixture that breaks it, and stays quiet
// where the code is allowed.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT } from '../helpers/headless.js';

// A fixture pretends to live at <folder>/fixture.ts, which no tsconfig holds: the type-aware rules take its types from
// a default project instead of the tsconfigs eslint.config.js names.
const FIXTURE_PATHS = [
  'main/*/fixture.ts',
  'main/*/*/fixture.ts',
  'renderer/src/fixture.ts',
  'renderer/src/*/fixture.ts',
  'scripts/fixture.ts',
];
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: {
    files: FIXTURE_PATHS,
    languageOptions: {
      parserOptions: {
        project: null,
        // one fixture file per pretend folder, each opened once: a few dozen small files
        projectService: {
          allowDefaultProject: FIXTURE_PATHS,
          defaultProject: 'tsconfig.node.json',
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 100,
        },
      },
    },
  },
});

/** [fixture, where it pretends to live, the rule that must fire or null for "allowed"] */
const cases: [string, string, string | null][] = [
  ['imports-electron', 'main/core/fixture.ts', 'no-restricted-imports'],
  ['imports-electron', 'main/common/fixture.ts', 'no-restricted-imports'],
  ['imports-electron', 'renderer/src/fixture.ts', 'no-restricted-imports'],
  ['imports-electron', 'main/electron/fixture.ts', null],
  ['dynamic-electron', 'main/core/fixture.ts', 'no-restricted-syntax'],
  ['dynamic-electron', 'main/common/fixture.ts', 'no-restricted-syntax'],
  ['imports-ipc-renderer', 'main/electron/fixture.ts', 'no-restricted-imports'],
  ['imports-ipc-renderer', 'scripts/fixture.ts', 'no-restricted-imports'],
  ['imports-ipc-renderer', 'main/preload/fixture.ts', null],
  ['ipc-renderer-property', 'main/electron/fixture.ts', 'no-restricted-properties'],
  ['ipc-renderer-property', 'renderer/src/fixture.ts', 'no-restricted-properties'],
  ['ipc-renderer-property', 'main/preload/fixture.ts', null],
  ['renderer-imports-core', 'renderer/src/fixture.ts', 'no-restricted-imports'],
  ['renderer-imports-common', 'renderer/src/fixture.ts', null],
  ['imports-node', 'main/common/fixture.ts', 'no-restricted-imports'],
  ['imports-node', 'main/core/fixture.ts', null],
  ['imports-electron-folder', 'main/core/fixture.ts', 'no-restricted-imports'],
  ['imports-electron-folder', 'main/common/fixture.ts', 'no-restricted-imports'],
  // core never reaches into the devnet; the devnet reaches into core only through its declared entry points
  ['imports-devnet', 'main/core/fixture.ts', 'no-restricted-imports'],
  ['imports-devnet', 'main/core/network/fixture.ts', 'no-restricted-imports'],
  // ... but for the devnet's process entry, which core forks: an import lint sees, from core only
  ['imports-devnet-process-entry', 'main/core/fixture.ts', null],
  ['imports-devnet-process-entry', 'main/core/policy/fixture.ts', 'no-restricted-imports'],
  ['imports-devnet-process-entry', 'main/cli/fixture.ts', 'no-restricted-imports'],
  ['imports-core-internal', 'main/devnet/fixture.ts', 'no-restricted-imports'],
  ['imports-core-entry-point', 'main/devnet/fixture.ts', null],
  ['imports-core-entry-point', 'main/core/fixture.ts', null],
  ['imports-electron', 'main/devnet/fixture.ts', 'no-restricted-imports'],
  // policy and economics stay pure
  ['imports-node', 'main/core/policy/fixture.ts', 'no-restricted-imports'],
  ['imports-node', 'main/core/economics/fixture.ts', 'no-restricted-imports'],
  ['imports-ethers', 'main/core/economics/fixture.ts', 'no-restricted-imports'],
  ['imports-ethers', 'main/core/wallet/fixture.ts', null],
  ['imports-devnet', 'main/core/policy/fixture.ts', 'no-restricted-imports'],
  // the synor command reaches the agent over its API, and into core only for the data folder's kept address
  ['imports-core-internal', 'main/cli/fixture.ts', 'no-restricted-imports'],
  ['cli-imports-local-address', 'main/cli/fixture.ts', null],
  ['imports-devnet', 'main/cli/fixture.ts', 'no-restricted-imports'],
  ['imports-electron', 'main/cli/fixture.ts', 'no-restricted-imports'],
  // inside core, a folder imports only the sibling folders eslint.config.js lists for it (CORE_FOLDERS)
  ['sibling-network', 'main/core/lock/fixture.ts', null],
  ['sibling-network', 'main/core/wallet/fixture.ts', 'no-restricted-imports'],
  ['sibling-network', 'main/core/receipts/fixture.ts', 'no-restricted-imports'],
  ['sibling-network', 'main/core/economics/fixture.ts', 'no-restricted-imports'],
  ['sibling-ledger', 'main/core/network/fixture.ts', null],
  ['sibling-ledger', 'main/core/receipts/fixture.ts', 'no-restricted-imports'],
  ['sibling-native', 'main/core/runtime/fixture.ts', null],
  ['sibling-native', 'main/core/monitor/fixture.ts', null],
  ['sibling-native', 'main/core/wallet/fixture.ts', 'no-restricted-imports'],
  ['imports-node', 'main/core/native/fixture.ts', null],
  // a reason why something cannot run now is a coded value in core, never words or null (docs/ARCHITECTURE.md, "Errors")
  ['reason-function', 'main/core/fs/fixture.ts', 'no-restricted-syntax'],
  ['reason-arrow', 'main/core/fixture.ts', 'no-restricted-syntax'],
  ['reason-local', 'main/core/network/fixture.ts', 'no-restricted-syntax'],
  ['reason-method', 'main/core/network/fixture.ts', 'no-restricted-syntax'],
  ['reason-field', 'main/core/fs/fixture.ts', 'no-restricted-syntax'],
  ['reason-signature', 'main/core/wallet/fixture.ts', 'no-restricted-syntax'],
  ['reason-property', 'main/core/network/fixture.ts', 'no-restricted-syntax'],
  ['reason-coded', 'main/core/network/fixture.ts', null],
  ['reason-function', 'main/devnet/fixture.ts', null],
  // every test has its own time limit (Node 20's --test-timeout bounds a whole file)
  ['test-without-options', 'test/unit/fixture.test.ts', 'no-restricted-syntax'],
  ['test-options-without-timeout', 'test/integration/fixture.test.ts', 'no-restricted-syntax'],
  ['test-with-timeout', 'test/e2e/fixture.test.ts', null],
  // options kept in a const count; a function named instead of written out is no options
  ['test-options-in-const', 'test/unit/fixture.test.ts', 'no-restricted-syntax'],
  ['test-options-in-const', 'test/unit/fixture.test.ts', 'no-restricted-syntax'],
  // production code: no function over 100 lines and no file over 400, blank lines and comments not counted; tests may
  ['function-over-100-lines', 'main/core/fixture.ts', 'max-lines-per-function'],
  ['function-over-100-lines', 'main/devnet/fixture.ts', 'max-lines-per-function'],
  ['function-over-100-lines', 'renderer/src/lib/fixture.ts', 'max-lines-per-function'],
  ['function-of-100-lines', 'main/core/fixture.ts', null],
  ['function-over-100-lines', 'test/unit/fixture.test.ts', null],
  ['file-over-400-lines', 'main/core/network/fixture.ts', 'max-lines'],
  ['file-over-400-lines', 'renderer/src/lib/fixture.ts', 'max-lines'],
  ['file-of-400-lines', 'main/core/network/fixture.ts', null],
  ['file-over-400-lines', 'test/integration/fixture.test.ts', null],
  // type escapes in production code: no `!`, no cast but `as const`, a disable says why, every switch is exhaustive
  ['escape-non-null', 'renderer/src/fixture.ts', '@typescript-eslint/no-non-null-assertion'],
  ['escape-non-null', 'main/core/fixture.ts', '@typescript-eslint/no-non-null-assertion'],
  ['escape-non-null', 'main/devnet/fixture.ts', '@typescript-eslint/no-non-null-assertion'],
  ['escape-non-null', 'test/unit/fixture.test.ts', null],
  ['escape-cast', 'renderer/src/fixture.ts', '@typescript-eslint/consistent-type-assertions'],
  ['escape-cast', 'main/electron/fixture.ts', '@typescript-eslint/consistent-type-assertions'],
  ['escape-cast', 'scripts/fixture.ts', null],
  ['escape-as-const', 'renderer/src/fixture.ts', null],
  ['escape-disable-without-reason', 'renderer/src/fixture.ts', '@eslint-community/eslint-comments/require-description'],
  ['escape-disable-with-reason', 'renderer/src/fixture.ts', null],
  ['switch-not-exhaustive', 'renderer/src/fixture.ts', '@typescript-eslint/switch-exhaustiveness-check'],
  ['switch-not-exhaustive', 'main/core/economics/fixture.ts', '@typescript-eslint/switch-exhaustiveness-check'],
  ['switch-exhaustive', 'renderer/src/fixture.ts', null],
  // a schema in main/common says what crosses the boundary
  ['schema-unknown', 'main/common/fixture.ts', 'no-restricted-syntax'],
  ['schema-any', 'main/common/fixture.ts', 'no-restricted-syntax'],
  ['schema-unknown', 'main/core/fixture.ts', null],
];

for (const [fixture, filePath, rule] of cases) {
  test(`${fixture} in ${filePath}: ${rule ?? 'allowed'}`, { timeout: 120_000 }, async () => {
    const code = await readFile(new URL(`../fixtures/lint/${fixture}.ts`, import.meta.url), 'utf8');
    const [result] = await eslint.lintText(code, { filePath });
    const fired = result?.messages.map((m) => m.ruleId) ?? [];
    if (rule) assert.ok(fired.includes(rule), `expected ${rule}, got ${JSON.stringify(result?.messages)}`);
    else assert.deepEqual(result?.messages, []);
  });
}
