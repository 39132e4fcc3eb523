// Work through the scheduler and the network: kills, lost leases, refused and unstorable results, a full disk, receipts piling up.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task, TaskResult } from '../../main/common/task.js';
import { contribute } from '../integration/support/contribute.js';
import { Outbox, OutboxEntrySchema } from '../../main/core/network/outbox.js';
import { matMulModel } from '../../main/core/onnx/onnx-model.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { ROOT, waitForLine } from '../helpers/headless.js';
import { gone, hasParentDeathSignal, leftAfter, processState } from '../helpers/processes.js';
import { smallDisk } from '../helpers/small-disk.js';
import { ledgerWei, receiptsIn, recordsOf } from '../helpers/ledger.js';
import { collect, leaseOne, quickResult, testDevice } from '../integration/support/network.js';
import { matmulTask, ModelServer, decided, running, testScheduler } from '../helpers/runtime-fixtures.js';
import { HostileServer } from './hostile.js';
import { clean, doubles, withDevnet, type CaseOutcome, type SoakCase } from './case.js';

export const WORK_CASES: SoakCase[] = [
  {
    name: 'input with zero rows, through the scheduler and a job host',
    fast: true,
    run: async () => {
      const server = await new ModelServer().start();
      const t = await testScheduler();
      let hosts: number[] = [];
      let outcome: CaseOutcome;
      try {
        t.scheduler.apply(decided('cpu', running()));
        const ref = server.add('mm0', matMulModel({ rows: 'batch', inner: 8, cols: 5 }).bytes);
        const task = matmulTask(ref, new Float32Array(0), [0, 8]);
        t.source.offer(task);
        const done = await t.outcome(task.id);
        hosts = t.scheduler.snapshot().lanes.flatMap((lane) => lane.pids);
        if (done.kind !== 'result') {
          outcome = { ...clean, ok: false, outcome: `released (${done.reason}): ${done.message}` };
        } else {
          const { wallMs } = done.result.accounting;
          const entry = {
            version: 2,
            url: 'http://127.0.0.1/',
            deviceId: 'd',
            leaseId: 'l',
            result: done.result,
            estimateWei: '0',
            finishedAt: 0,
          };
          const kept = OutboxEntrySchema.safeParse(entry).success;
          outcome = {
            ...clean,
            lost: kept ? 0 : 1,
            ok: Number.isFinite(wallMs) && kept,
            outcome: `result with wallMs ${wallMs.toFixed(2)} (finite), accepted by the outbox schema: ${kept}`,
          };
        }
      } finally {
        await t.scheduler.close();
        await server.close();
      }
      const { left } = await leftAfter(hosts);
      return { ...outcome, orphans: left, ok: outcome.ok && hosts.length > 0 && left === 0 };
    },
  },
  {
    name: 'agent killed (kill -9) while its job host is stopped',
    fast: true,
    run: async () => {
      if (!hasParentDeathSignal())
        return {
          ...clean,
          ok: true,
          skipped: 'needs Linux and the native addon (elsewhere: swept at the next agent start)',
          outcome: 'not run',
        };
      // The agent side of one real job host (host.ts forking job-host.ts), as in a kill -9 of the app during work.
      const agent = spawn(process.execPath, ['--import', 'tsx', 'test/integration/support/host-parent.ts'], { cwd: ROOT });
      let host = 0;
      try {
        const [, pid, answer] = (await waitForLine(agent, /host (\d+) answered (\S+)/)) as unknown as [string, string, string];
        host = Number(pid);
        process.kill(host, 'SIGSTOP');
        while (processState(host) !== 'T') await new Promise((resolve) => setImmediate(resolve)); // the stop is asynchronous
        agent.kill('SIGKILL');
        const { left, ms } = await leftAfter([host]);
        return {
          ...clean,
          orphans: left,
          ok: answer === 'bad-request' && left === 0,
          outcome: `the stopped job host was gone ${ms.toFixed(0)} ms after kill -9 of its agent`,
        };
      } finally {
        agent.kill('SIGKILL');
        if (host > 0 && !gone(host)) process.kill(host, 'SIGKILL'); // a failed run must not leave its orphan behind
      }
    },
  },
  {
    name: 'lease TTL of 1 ms (every lease gone while its task runs)',
    fast: true,
    run: (size) =>
      withDevnet({ leaseTtlMs: 1 }, async (net) => {
        const want = size === 'fast' ? 5 : 11;
        const intervalMs = 20;
        const { client } = await testDevice(net.url, { leaseWaitMs: 200, minLeaseIntervalMs: intervalMs });
        client.start();
        const stop = new AbortController();
        const times: number[] = [];
        // Also what keeps the process alive meanwhile: the client's own timers do not (unref'd).
        let limit: NodeJS.Timeout | undefined;
        const done = new Promise<void>((resolve, reject) => {
          limit = setTimeout(() => reject(new Error(`only ${times.length} of ${want} leases in 120 s`)), 120_000);
          client.subscribe((e) => {
            if (e.type !== 'leased') return;
            times.push(performance.now());
            if (times.length === want) resolve();
          });
        }).finally(() => clearTimeout(limit));
        // A task that runs until the coordinator says its lease is gone (the first heartbeat, 250 ms in).
        const execute = (_task: Task, signal: AbortSignal): Promise<TaskResult> =>
          new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('lease gone')), { once: true }));
        const loop = contribute({ client, execute, signal: stop.signal });
        await done;
        stop.abort();
        await loop;
        await client.close();
        const s = (times.at(-1)! - times[0]!) / 1000;
        // Each lost lease doubles the wait before the next (never under the 250 ms it takes to learn it is gone).
        const floor =
          Array.from({ length: want - 1 }, (_, i) => Math.max(250, Math.min(30_000, intervalMs * 2 ** Math.min(i + 1, 8)))).reduce(
            (a, b) => a + b,
            0,
          ) / 1000;
        const ok = s >= floor * 0.95 && doubles(net) === 0;
        return {
          ...clean,
          doubleCredits: doubles(net),
          ok,
          outcome: `${want} leases took ${s.toFixed(1)} s, backing off (>= ${floor.toFixed(1)} s); before the fix 2,551 leases in 20 s`,
        };
      }),
  },
  {
    name: 'submits failing (503): leasing stops at the backlog',
    fast: true,
    run: (size) =>
      withDevnet({}, async (net) => {
        const proxy = await new HostileServer(net.url).start();
        try {
          const maxBacklog = size === 'fast' ? 4 : 32;
          proxy.submit = { kind: 'outage' };
          const { client } = await testDevice(proxy.url, { leaseWaitMs: 200, maxBacklog, backoff: { baseMs: 50, maxMs: 200 } });
          client.start();
          let leased = 0;
          client.subscribe((e) => void (e.type === 'leased' && leased++));
          // Lease and finish at once until the client itself says no: the lease's own answer, not the status line,
          // which shows the failing submits instead while they are retried.
          for (;;) {
            const outcome = await client.lease();
            if (outcome.kind === 'task') await client.complete(outcome.leaseId, quickResult(outcome.task));
            else if (outcome.reason === 'paused' && /waiting to be sent first/.test(outcome.message)) break;
          }
          proxy.submit = { kind: 'pass' };
          const left = await client.flush();
          await client.close();
          const accepted = net.stats.accepted.size;
          return {
            ...clean,
            lost: leased - accepted,
            doubleCredits: doubles(net),
            ok: leased === maxBacklog && left === 0 && accepted === leased,
            outcome: `${leased} leases, then paused with ${maxBacklog} results unsent; after the outage all ${accepted} accepted`,
          };
        } finally {
          await proxy.close();
        }
      }),
  },
  {
    name: 'every result refused with 400',
    fast: true,
    run: (size) =>
      withDevnet({}, async (net) => {
        const proxy = await new HostileServer(net.url).start();
        try {
          const n = size === 'fast' ? 4 : 20;
          proxy.submit = { kind: 'refuse', status: 400, code: 'bad-result', message: 'This result is not acceptable.' };
          const { client } = await testDevice(proxy.url, { leaseWaitMs: 200 });
          const problems = collect(client, 'problem');
          for (let i = 0; i < n; i++) {
            const { leaseId, task } = await leaseOne(client);
            await client.complete(leaseId, quickResult(task));
          }
          const left = await client.flush();
          await client.flush();
          const submits = proxy.count('/v1/submit');
          const released = net.stats.releases.filter((r) => r === 'runtime-error').length;
          await client.close();
          return {
            ...clean,
            lost: n - Math.min(problems.length, released),
            ok: left === 0 && submits === n && problems.length === n && released === n,
            outcome: `${n} results, ${submits} submits (before: 190 for 20), ${released} given back with the reason, ${problems.length} notices`,
          };
        } finally {
          await proxy.close();
        }
      }),
  },
  {
    name: 'result the outbox schema refuses (NaN wallMs)',
    fast: true,
    run: () =>
      withDevnet({}, async (net) => {
        const { client } = await testDevice(net.url, { leaseWaitMs: 200 });
        const problems = collect(client, 'problem');
        const { leaseId, task } = await leaseOne(client);
        const result = quickResult(task);
        await client.complete(leaseId, { ...result, accounting: { ...result.accounting, wallMs: Number.NaN } });
        const released = net.stats.releases.filter((r) => r === 'runtime-error').length;
        const queued = client.status().queued;
        await client.close();
        return {
          ...clean,
          lost: released === 1 ? 0 : 1,
          ok: released === 1 && queued === 0 && problems.length === 1,
          outcome: `given back with the reason (${released} release), ${problems.length} notice, nothing queued`,
        };
      }),
  },
  {
    name: 'disk full (2 MB tmpfs) while results finish',
    fast: true,
    run: (size) =>
      withDevnet({}, async (net) => {
        const disk = await smallDisk();
        if ('skipped' in disk) return { ...clean, ok: true, skipped: disk.skipped, outcome: 'not run' };
        try {
          const n = size === 'fast' ? 3 : 10;
          const logger = new MemoryLogger();
          const { client, ledger } = await testDevice(net.url, { dataDir: disk.dir, leaseWaitMs: 200, logger });
          const problems = collect(client, 'problem');
          const leases = [];
          for (let i = 0; i < n; i++) leases.push(await leaseOne(client));
          await disk.fill();
          for (const { leaseId, task } of leases) await client.complete(leaseId, quickResult(task));
          const status = client.status();
          const whileFull = await client.lease();
          // Sent from memory; the ledger counts each acknowledged result as pending (kept in its index, not as a line),
          // and what it cannot write yet waits in memory, and so do its receipts.
          await client.flush();
          const submitted = ledger.sums.total().pendingTasks;
          await client.syncReceipts();
          const errors = logger.lines.filter((l) => l.startsWith('error')).length;
          await disk.free();
          const left = await client.flush();
          await client.syncReceipts();
          await client.close();
          const accepted = leases.filter((l) => net.stats.accepted.get(l.task.id) === 1).length;
          const file = join(disk.dir, 'ledger.jsonl');
          const pending = ledger.sums.total().pendingTasks;
          // Read back from disk: the epochs' lines, and the receipts in their detail files.
          const kept = await receiptsIn(file);
          const receipts = new Set(kept.flatMap((r) => (r.resourceType === 'cpu' ? [r.taskId] : []))).size;
          const whole =
            (await ledgerWei(file)) === kept.reduce((sum, r) => sum + BigInt(r.totalWei), 0n) && (await recordsOf(file)).length > 0;
          const onDisk = (await new Outbox(join(disk.dir, 'network', 'outbox')).list()).entries.length;
          const temp = (await readdir(join(disk.dir, 'network', 'outbox'))).filter((f) => f.endsWith('.tmp')).length;
          const ok =
            status.code === 'error' &&
            whileFull.kind === 'none' &&
            problems.length === 2 &&
            errors === 1 &&
            left === 0 &&
            accepted === n &&
            submitted === n &&
            pending === 0 &&
            receipts === n &&
            whole &&
            onDisk === 0 &&
            temp === 0;
          return {
            ...clean,
            lost: n - accepted,
            doubleCredits: doubles(net),
            leftovers: temp + onDisk,
            ok,
            outcome: `${n} results held in memory, status "${status.message.slice(0, 60)}…", leasing paused, ${problems.length} notices, ${errors} error logged; after space came back ${accepted} accepted, ${submitted} counted pending then ${pending}, and ${receipts} receipted in the ledger${whole ? '' : ' (its epochs and receipts do not match)'}`,
          };
        } finally {
          await disk.close();
        }
      }),
  },
  {
    name: 'device away while 2,000+ receipts pile up',
    fast: false,
    run: (size) =>
      // Every new receipt seals the epoch before it: 1,100 epochs of a task and its transfers pile up, 64 to a page.
      withDevnet({ epochMs: 0 }, async (net) => {
        const n = size === 'fast' ? 50 : 1_100;
        const { client, ledger } = await testDevice(net.url, { leaseWaitMs: 200, minLeaseIntervalMs: 0 });
        for (let i = 0; i < n; i++) {
          const { leaseId, task } = await leaseOne(client);
          await client.complete(leaseId, quickResult(task));
          if (i % 20 === 19) await client.flush(); // under the backlog bound (32), or leasing would pause
        }
        await client.flush();
        await client.syncReceipts();
        await client.close();
        const kept = await receiptsIn(ledger);
        const receipted = new Set(kept.flatMap((r) => (r.resourceType === 'cpu' ? [r.taskId] : [])));
        const accepted = [...net.stats.accepted.keys()];
        const missing = accepted.filter((t) => !receipted.has(t)).length;
        const all = kept.length;
        const lines = await recordsOf(ledger);
        const epochs = lines.length;
        const inEpochs = lines.reduce((sum, r) => sum + r.signed.epoch.lastSeq - r.signed.epoch.firstSeq + 1, 0);
        const ok = missing === 0 && accepted.length === n && all === inEpochs && (size === 'fast' || all > 2_000);
        return {
          ...clean,
          lost: missing,
          doubleCredits: doubles(net),
          ok,
          outcome: `${accepted.length} accepted, ${all} receipts in ${epochs} epochs fetched in one go, ${missing} missing (before: only the newest 2,000 were kept)`,
        };
      }),
  },
];
