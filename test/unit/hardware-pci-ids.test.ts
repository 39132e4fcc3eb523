// GPU names from the PCI ID database: a tiny pci.ids in the real format (lines copied from Debian's), and the
// system's own file where the machine has one (scripts/system-deps.sh installs hwdata for it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PCI_VENDOR, pciIdDatabase, SYSTEM_PCI_IDS } from '../../main/core/hardware/pci-ids.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const T = { timeout: 60_000 };
const TINY = join(FIXTURES, 'pci-ids', 'tiny.ids');

test('names come from the vendor section of pci.ids, the bracketed product first, subsystems and other vendors aside', T, async () => {
  const db = pciIdDatabase(['/nonexistent/pci.ids', TINY]);
  const { intel, amd, nvidia } = PCI_VENDOR;
  assert.deepEqual(
    await Promise.all([
      db.name(intel, 0x5917),
      db.name(intel, 0x56c0),
      db.name(intel, 0x56a0),
      db.name(amd, 0x1681),
      db.name(amd, 0x73ff),
      db.name(nvidia, 0x1f02),
      // 1681 is a Broadcom device in the next section, not NVIDIA's; 0xabcd is nobody's.
      db.name(nvidia, 0x1681),
      db.name(nvidia, 0xabcd),
    ]),
    [
      'Intel UHD Graphics 620',
      'Intel Data Center GPU Flex 170',
      'Intel Arc A770',
      'AMD Radeon 680M',
      'AMD Radeon RX 6600/6600 XT/6600M',
      'NVIDIA GeForce RTX 2070',
      null,
      null,
    ],
  );
  assert.equal(await db.source(), TINY);
});

test('without a pci.ids the built-in table names the GPUs it knows, and nothing else', T, async () => {
  const db = pciIdDatabase(['/nonexistent/pci.ids']);
  assert.deepEqual(
    await Promise.all([
      db.name(PCI_VENDOR.intel, 0x5917),
      db.name(PCI_VENDOR.intel, 0x56c0),
      db.name(PCI_VENDOR.amd, 0x73df),
      // Navi 31 (RX 7900 XTX) is not in the table.
      db.name(PCI_VENDOR.amd, 0x744c),
    ]),
    ['Intel UHD Graphics 620', 'Intel Data Center GPU Flex 170', 'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', null],
  );
  assert.equal(await db.source(), 'the built-in table of PCI ids');
});

test("the system's pci.ids names Intel's UHD 620 and Flex 170", T, async (t) => {
  const file = SYSTEM_PCI_IDS.find((f) => existsSync(f));
  if (!file) {
    t.skip(`no pci.ids at ${SYSTEM_PCI_IDS.join(' or ')}: install Debian's hwdata (scripts/system-deps.sh)`);
    return;
  }
  const db = pciIdDatabase();
  assert.equal(await db.source(), file);
  assert.deepEqual(await Promise.all([db.name(PCI_VENDOR.intel, 0x5917), db.name(PCI_VENDOR.intel, 0x56c0)]), [
    'Intel UHD Graphics 620',
    'Intel Data Center GPU Flex 170',
  ]);
});
