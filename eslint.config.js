// Layering is enforced here, not hoped for: test/unit/layering.test.ts proves each rule fires on a fixture.
import eslintComments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronBan = { name: 'electron', message: 'Only main/electron and main/preload may import electron.' };
const ipcRendererBan = {
  name: 'electron',
  importNames: ['ipcRenderer'],
  message: 'Only main/preload may touch ipcRenderer; use the typed window.agent bridge.',
};
const ipcRendererProperty = {
  property: 'ipcRenderer',
  message: 'Only main/preload may touch ipcRenderer; use the typed window.agent bridge.',
};

/**
 * Why something cannot run now is a coded value (a Failure) or null, never words or null (docs/ARCHITECTURE.md,
 * "Errors"): a `string | null` type on a function, method, field or variable whose name says it is a reason. Syntax
 * only, without type information: a type alias, or a name that does not say so, gets past it.
 */
const REASON_NAME = '/problem|blocked|blocker|why|reason|refusal|because/i';
const TEXT_OR_NULL = 'TSTypeAnnotation TSUnionType:has(TSStringKeyword):has(TSNullKeyword)';
const reasonAsText = [
  `FunctionDeclaration[id.name=${REASON_NAME}] > ${TEXT_OR_NULL}`,
  `VariableDeclarator[id.name=${REASON_NAME}] > :matches(:function, Identifier) > ${TEXT_OR_NULL}`,
  `:matches(MethodDefinition, Property)[key.name=${REASON_NAME}] > :function > ${TEXT_OR_NULL}`,
  `:matches(TSMethodSignature, TSPropertySignature, PropertyDefinition)[key.name=${REASON_NAME}] > ${TEXT_OR_NULL}`,
].map((selector) => ({
  selector,
  message: 'A reason is a coded value: Failure<Code> | null, not string | null (docs/ARCHITECTURE.md, "Errors").',
}));

/**
 * Type escapes in production code (issue 31): no `!`, no cast but `as const`, every switch over a union covers every
 * member, and a disable says why. Tests may keep theirs. Only the switch rule needs type information: from
 * tsconfig.eslint.json (main/ alone: tsconfig.node.json's tests and scripts made a lint twice as long) and
 * tsconfig.web.json (projectService would look for a tsconfig.json, which this repo does not have).
 */
const typeEscapes = [
  {
    files: ['main/**/*.ts', 'renderer/src/**/*.{ts,svelte}'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'never' }],
    },
  },
  {
    files: ['main/**/*.ts', 'renderer/src/**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.eslint.json', './tsconfig.web.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: { '@typescript-eslint/switch-exhaustiveness-check': 'error' },
  },
  eslintComments.recommended,
  { rules: { '@eslint-community/eslint-comments/require-description': 'error' } },
];

/** A schema in main/common parses a boundary: it says what crosses it, so no z.unknown()/z.any() (a two-step parse disables it, saying why). */
const opaqueSchema = [
  {
    selector: "CallExpression[callee.object.name='z'][callee.property.name=/^(unknown|any)$/]",
    message: 'Say what crosses the boundary: a schema in main/common takes no z.unknown() or z.any().',
  },
];

/** What a folder may not import: `paths` are packages, `patterns` are specifier patterns; `syntax`: more it may not write. */
const layer = (files, paths, patterns, { allowIpcRenderer = false, syntax = [] } = {}) => {
  // import('electron') is not a static import, so no-restricted-imports would not see it.
  const banned = [
    ...(paths.includes(electronBan) ? [{ selector: "ImportExpression[source.value='electron']", message: electronBan.message }] : []),
    ...syntax,
  ];
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths, patterns }],
      'no-restricted-syntax': banned.length ? ['error', ...banned] : 'off',
      'no-restricted-properties': allowIpcRenderer ? 'off' : ['error', ipcRendererProperty],
    },
  };
};

/** A relative import that reaches into the folder `what` (the npm package of the same name is another rule). */
const outward = (what) => ({
  regex: `^(\\.{1,2}/)+(.*/)?${what}/`,
  message: `Dependencies point inward: this folder may not import ${what}/.`,
});

/**
 * The one devnet file core may import: the embedded devnet's process entry, which core forks (and the build bundles
 * from the same record), so the dependency is an import lint sees rather than a path string it cannot.
 */
const CORE_DEVNET_ENTRY_POINT = 'process-entry';
const coreReachesIntoDevnet = {
  regex: `^(\\.{1,2}/)+(.*/)?devnet/(?!${CORE_DEVNET_ENTRY_POINT}\\.js$)`,
  message: `Core may import from the devnet only its process entry (devnet/${CORE_DEVNET_ENTRY_POINT}.js).`,
};

/**
 * The core files the devnet may import: the ports it runs on, atomic and checksummed files, setting a damaged file
 * aside, the ONNX model builder/reader it makes tasks with, the reward function it pays with, the epoch builder it
 * signs with (the one a device checks against), the payout reader it builds vouchers with, and where a child
 * process's code lives (for its process entry). Everything else in core is the agent's own; shared protocol pieces live in main/common.
 */
const DEVNET_CORE_ENTRY_POINTS = [
  'child-entry',
  'ports',
  'node-ports',
  'paths',
  'fs/atomic',
  'fs/checksummed-log',
  'fs/set-aside',
  'onnx/onnx-model',
  'onnx/model-graph',
  'economics/rewards',
  'receipts/epochs',
  'wallet/chain',
];
const devnetReachesIntoCore = {
  regex: `^(\\.{1,2}/)+core/(?!(${DEVNET_CORE_ENTRY_POINTS.join('|')})\\.js$)`,
  message: `The devnet may import from core only ${DEVNET_CORE_ENTRY_POINTS.join(', ')}; shared protocol pieces belong in main/common.`,
};

/** The core files the `synor` command may import: where the data folder is, and the agent's kept address in it. */
const CLI_CORE_ENTRY_POINTS = ['paths', 'server/local-address'];
const cliReachesIntoCore = {
  regex: `^(\\.{1,2}/)+core/(?!(${CLI_CORE_ENTRY_POINTS.join('|')})\\.js$)`,
  message: `The synor command talks to the agent over its API: from core it may import only ${CLI_CORE_ENTRY_POINTS.join(', ')}.`,
};

/**
 * Inside core, each folder imports only the sibling folders listed (files at core's top level, such as ports.ts, are
 * not folders): dependencies point one way, and a new arrow is a decision made here, not an accident. Receipts sit
 * below both the network client and the ledger; the native addon's loader and the ONNX model files below everything
 * that loads them.
 */
const CORE_FOLDERS = {
  economics: [],
  fleet: ['fs', 'server', 'settings'],
  fs: [],
  hardware: ['fs', 'native', 'onnx'],
  ledger: ['economics', 'fs', 'receipts'],
  lock: ['network'],
  monitor: ['native', 'scheduler'],
  native: [],
  network: ['economics', 'fs', 'ledger', 'receipts', 'wallet'],
  notices: [],
  onnx: [],
  policy: [],
  receipts: ['economics'],
  runtime: ['fs', 'native', 'network', 'onnx'],
  scheduler: ['hardware', 'network', 'runtime'],
  server: ['fs'],
  settings: ['fs'],
  wallet: ['fs'],
};
const siblingsOnly = (folder) => ({
  regex: `^\\.\\./(?!(${CORE_FOLDERS[folder].join('|')})/)[a-z-]+/`,
  message: `core/${folder}/ may import only these core folders: ${CORE_FOLDERS[folder].join(', ') || 'none'} (eslint.config.js, CORE_FOLDERS).`,
});
const coreOutward = [outward('electron'), outward('preload'), outward('renderer'), coreReachesIntoDevnet];
/** Pure folders: no OS, no network, no clock of their own. */
const PURE = ['policy', 'economics'];
const pureGroup = {
  group: ['node:*', 'ws', 'electron', 'ethers', 'systeminformation', 'onnxruntime-node'],
  message: 'Policy and economics are pure: no runtime-specific imports.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'test-results/**', 'release/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: { ...globals.browser } },
  },
  { files: ['renderer/**'], languageOptions: { globals: { ...globals.browser } } },
  // Everywhere but the preload: no ipcRenderer.
  layer(['**/*.{ts,js,mjs,svelte}'], [ipcRendererBan], []),
  layer(
    ['main/common/**'],
    [electronBan],
    [
      { group: ['node:*', 'ws', 'electron'], message: 'main/common is pure: no runtime-specific imports.' },
      outward('core'),
      outward('electron'),
      outward('preload'),
      outward('renderer'),
    ],
    { syntax: opaqueSchema },
  ),
  layer(['main/core/**'], [electronBan], coreOutward, { syntax: reasonAsText }),
  ...Object.keys(CORE_FOLDERS).map((folder) =>
    layer(
      [`main/core/${folder}/**`],
      [electronBan],
      [...(PURE.includes(folder) ? [pureGroup, outward('devnet')] : []), ...coreOutward, siblingsOnly(folder)],
      { syntax: reasonAsText },
    ),
  ),
  layer(['main/devnet/**'], [electronBan], [outward('electron'), outward('preload'), outward('renderer'), devnetReachesIntoCore]),
  layer(
    ['main/cli/**'],
    [electronBan],
    [outward('electron'), outward('preload'), outward('renderer'), outward('devnet'), cliReachesIntoCore],
  ),
  layer(['main/electron/**'], [ipcRendererBan], [outward('preload'), outward('renderer')]),
  layer(['main/preload/**'], [], [outward('core'), outward('electron'), outward('renderer')], { allowIpcRenderer: true }),
  // Small modules with one job, and functions that fit in a reader's head (issue 31): production code only; a test
  // file may hold a long table of cases. Blank lines and comments are not counted.
  {
    files: ['main/**', 'renderer/src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }],
    },
  },
  // A hung test fails alone, and soon: Node 20's --test-timeout bounds a whole file, not each test in it.
  {
    files: ['test/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.name=/^(test|describe)$/]:not([arguments.1.type='ObjectExpression']):not([arguments.1.type='Identifier'][arguments.2])",
          message: 'Give every test a time limit: test(name, { timeout: … }, fn) (or options kept in a const).',
        },
        {
          selector: "CallExpression[callee.name=/^(test|describe)$/] > ObjectExpression:not(:has(Property[key.name='timeout']))",
          message: 'Give every test a time limit: test(name, { timeout: … }, fn).',
        },
      ],
    },
  },
  layer(
    ['renderer/**'],
    [electronBan],
    [
      { regex: '^(\\.{1,2}/)+main/(?!common/)', message: 'The renderer may import only main/common from main/.' },
      { group: ['node:*'], message: 'The renderer runs in a browser.' },
    ],
  ),
  ...typeEscapes,
);
