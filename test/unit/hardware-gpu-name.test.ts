// One rule for AMD and Intel GPU names in both probes (gpu-name.ts): the PCI ID database's name for the device id
// where it knows the id, the driver's name otherwise, "<vendor> GPU (PCI device 0x…)" where there is neither. Real
// rocm-smi and amd-smi captures (ORIGINS.md); the tiny pci.ids (lines of Debian's), the built-in table, and the
// system's pci.ids where the machine has one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAmdSmi } from '../../main/core/hardware/amd-smi.js';
import { namedByPciId } from '../../main/core/hardware/gpu-name.js';
import { pciIdDatabase, SYSTEM_PCI_IDS } from '../../main/core/hardware/pci-ids.js';
import { blankGpu } from '../../main/core/hardware/probe.js';
import { parseRocmSmiJson, rocmSmiJson } from '../../main/core/hardware/rocm-smi.js';
import { extractJson } from '../../main/core/hardware/tool-json.js';
import { FIXTURES, TINY_PCI_IDS } from '../fixtures/hardware/machine.js';

const T = { timeout: 60_000 };
const tiny = pciIdDatabase([TINY_PCI_IDS]);
const noFile = pciIdDatabase(['/nonexistent/pci.ids']);
const fixture = (...path: string[]) => readFile(join(FIXTURES, ...path), 'utf8');
const named = async (log: { gpus: Parameters<typeof namedByPciId>[0]; deviceIds: (number | null)[] }, tool: string, names = tiny) =>
  namedByPciId(
    log.gpus,
    log.deviceIds.map((id) => (id === null ? null : { id, source: tool })),
    names,
  );

test('an AMD GPU rocm-smi knows only by an id ("0x1002") is named from pci.ids by its "GPU ID"', T, async () => {
  const log = parseRocmSmiJson(rocmSmiJson(await fixture('rocm-smi', 'rx6700xt-rocm430', 'json.stdout'))!);
  assert.deepEqual([log.gpus[0]?.name, log.deviceIds], [null, [0x73df]]);
  const [gpu] = await named(log, 'rocm-smi --json');
  assert.deepEqual(
    [gpu?.name, gpu?.sources.name],
    ['AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', `PCI device 0x73df (rocm-smi --json), named from ${TINY_PCI_IDS}`],
  );
  // ROCm 6.1 names the same card ("Navi 22 [Radeon RX 6700/6700 XT / 6800M]", "Device ID"): the same name results.
  const rocm6 = parseRocmSmiJson(rocmSmiJson(await fixture('rocm-smi', 'rx6700xt-rocm612', 'json.stdout'))!);
  assert.deepEqual(
    (await named(rocm6, 'rocm-smi --json')).map((g) => g.name),
    [gpu?.name],
  );
});

test("amd-smi's cut-short name is replaced by the database's; MI210 and MI100 by their ids too", T, async () => {
  const rx6600 = parseAmdSmi(
    extractJson(await fixture('amd-smi', 'rx6600-rocm6', 'static.stdout')),
    extractJson(await fixture('amd-smi', 'rx6600-rocm6', 'metric.stdout')),
  );
  const mi210 = parseAmdSmi(extractJson(await fixture('amd-smi', 'mi210-static', 'static.stdout')), null);
  const mi100 = parseRocmSmiJson(rocmSmiJson(await fixture('rocm-smi', 'mi100-rocm571', 'json.stdout'))!);
  assert.deepEqual(
    [
      ...(await named(rx6600, 'amd-smi static --json')),
      ...(await named(mi210, 'amd-smi static --json')),
      ...(await named(mi100, 'rocm-smi --json')),
    ].map((g) => g.name),
    ['AMD Radeon RX 6600/6600 XT/6600M', 'AMD Instinct MI210', 'AMD Instinct MI100', 'AMD Instinct MI100'],
  );
});

test('without a pci.ids the built-in table names the ids it has; an id nobody knows keeps the driver name or says the id', T, async () => {
  const log = parseRocmSmiJson(rocmSmiJson(await fixture('rocm-smi', 'rx6700xt-rocm430', 'json.stdout'))!);
  assert.deepEqual(
    (await named(log, 'rocm-smi --json', noFile)).map((g) => [g.name, g.sources.name]),
    [
      [
        'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT',
        'PCI device 0x73df (rocm-smi --json), named from the built-in table of PCI ids',
      ],
    ],
  );
  // Navi 31 (0x744c) is in neither: Level Zero's or ROCm's own name stays; with none, the id is said.
  const unknown = [
    { ...blankGpu('amd', 0), name: 'AMD Radeon RX 7900 XTX' },
    { ...blankGpu('amd', 1), name: null },
  ];
  const device = { id: 0x744c, source: '/sys/bus/pci/devices/0000:03:00.0' };
  assert.deepEqual(
    (await namedByPciId(unknown, [device, device], noFile)).map((g) => [g.name, g.sources.name]),
    [
      ['AMD Radeon RX 7900 XTX', undefined],
      ['AMD GPU (PCI device 0x744c)', 'PCI device 0x744c (/sys/bus/pci/devices/0000:03:00.0), not in the built-in table of PCI ids'],
    ],
  );
  // Without a device id there is nothing to look up: the GPU is as the driver gave it.
  assert.deepEqual(await namedByPciId(unknown, [null, null], tiny), unknown);
});

test("the system's pci.ids names an AMD GPU rocm-smi knows only as 0x73bf", T, async (t) => {
  const file = SYSTEM_PCI_IDS.find((f) => existsSync(f));
  if (!file) {
    t.skip(`no pci.ids at ${SYSTEM_PCI_IDS.join(' or ')}: install Debian's hwdata (scripts/system-deps.sh)`);
    return;
  }
  const [gpu] = await namedByPciId([{ ...blankGpu('amd', 0), name: null }], [{ id: 0x73bf, source: 'rocm-smi --json' }], pciIdDatabase());
  // Every pci.ids since 2020 names Navi 21 "[Radeon RX 6800/6800 XT / 6900 XT]" (later ones add more after it).
  assert.match(gpu?.name ?? '', /^AMD Radeon RX 6800\/6800 XT \/ 6900 XT/);
  assert.equal(gpu?.sources.name, `PCI device 0x73bf (rocm-smi --json), named from ${file}`);
});
