// One spelling of a CPU's model, whichever source read it (cpu-model.ts): brand strings as the OS gives them and as
// systeminformation rewrites them, all real (origins in test/fixtures/hardware/ORIGINS.md, "CPU brand strings").
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cpuModelName } from '../../main/core/hardware/cpu-model.js';
import { parseCpuinfo } from '../../main/core/hardware/parsers.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const T = { timeout: 60_000 };

test("the OS's brand strings lose their trademark signs, the word CPU and the clock, and nothing else", T, () => {
  assert.deepEqual(
    [
      // /proc/cpuinfo of a Ryzen under WSL: cpuid's brand string with its padding.
      'AMD Ryzen 5 5600X 6-Core Processor             ',
      // A Windows hardware report's CPU name (cpuid's brand string), with the generation in front.
      '13th Gen Intel(R) Core(TM) i5-13600K',
      // cpuid on a virtual machine (issue 30): no sign to drop.
      'Oxide Virtual Turin-like Processor',
    ].map(cpuModelName),
    ['AMD Ryzen 5 5600X 6-Core Processor', '13th Gen Intel Core i5-13600K', 'Oxide Virtual Turin-like Processor'],
  );
});

test("systeminformation's spelling (Intel® + Core™ …) and the OS's ((R), (TM), CPU @ clock) become the same name", T, async () => {
  // systeminformation's own documentation of si.cpu(): manufacturer and brand, as the fallback joins them.
  const si = cpuModelName(`${'Intel®'} ${'Core™ i9-9900'}`);
  const kernel = parseCpuinfo(await readFile(join(FIXTURES, 'cpuinfo', 'i7-8650u.txt'), 'utf8'), 'x64');
  assert.deepEqual([si, kernel.model], ['Intel Core i9-9900', 'Intel Core i7-8650U']);
  // The same CPU in both spellings: what the kernel says, and what systeminformation makes of that very string.
  // (systeminformation 5 names the manufacturer "Intel", older releases "Intel®").
  assert.equal(cpuModelName('Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz'), cpuModelName('Intel Core™ i7-8650U'));
});
