/**
 * The CPU benchmark in its own process: onnxruntime (tens of MB, native threads) never loads into the agent,
 * and a crash or hang costs only this child. Options arrive as argv[2] (JSON); progress and the result go back over IPC.
 */
import { errorText } from '../../common/result.js';
import { measureCpu, type BenchmarkOptions } from './benchmark.js';

const send = (message: unknown): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

// eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the parent wrote these options with JSON.stringify just before it forked this child
const options = JSON.parse(process.argv[2] ?? '{}') as Omit<BenchmarkOptions, 'onProgress'>;
try {
  const result = await measureCpu({ ...options, onProgress: (progress) => void send({ type: 'progress', progress }) });
  await send({ type: 'done', result });
} catch (error) {
  await send({ type: 'failed', message: errorText(error) });
}
process.exit(0);
