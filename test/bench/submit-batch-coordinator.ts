// The devnet coordinator alone in a process of its own, for submit-batch.bench.ts: its CPU is not the agent's. Every
// result is paid unverified (none recomputed); argv[2] is the most results a batched submit may carry (0: none).
import { startCoordinator } from '../../main/devnet/coordinator.js';

const coordinator = await startCoordinator({ verifyRate: 0, maxSubmitBatch: Number(process.argv[2]) });
process.on('disconnect', () => void coordinator.close().then(() => process.exit(0)));
process.send?.(coordinator.url);
