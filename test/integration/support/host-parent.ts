/**
 * Child of the soak case "agent killed (kill -9) while its job host is stopped": the agent side of one real job host
 * (host.ts forking job-host.ts), nothing else. It sends the host one request the host must refuse, so the answer
 * proves the host's main thread is past its start-up (where it asks the kernel to kill it with its agent), then
 * prints the host's pid and waits to be killed.
 */
import type { RunRequest } from '../../../main/core/runtime/host-protocol.js';
import { defaultHostEntry, JobHost } from '../../../main/core/runtime/host.js';

const host = new JobHost(defaultHostEntry(), console, 'idle', () => undefined);
const refused = { type: 'run', jobId: 'probe', modelPath: '/nonexistent', sha256: '0', feeds: {}, outputs: ['y'], session: {} };
const outcome = await host.run(refused as unknown as RunRequest, { onStarted: () => undefined, onLoaded: () => undefined });
process.stdout.write(`host ${host.pid} answered ${outcome.ok ? 'ok' : outcome.error.code}\n`);
setInterval(() => undefined, 60_000); // stays until the test kills it
