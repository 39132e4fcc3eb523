// The devnet's protocol spoken by hand (no client): for tests that play a device the client would never be, such as
// a cheater, or that look at bytes and replies one by one.
import { Wallet } from 'ethers';
import { encodeFrame, FRAME_CONTENT_TYPE } from '../../main/common/frame.js';
import {
  eip712Domain,
  ReceiptsReplySchema,
  REGISTRATION_TYPES,
  type EpochBundle,
  type Receipt,
  type Registration,
} from '../../main/common/protocol.js';
import { bundleProblem } from '../../main/core/receipts/receipts.js';
import type { Task, TaskResult } from '../../main/common/task.js';
import type { Coordinator } from '../../main/devnet/coordinator.js';
import { cpuDevice } from '../integration/support/network.js';

const auth = (token?: string) => (token ? { authorization: `Bearer ${token}` } : {});

/** A JSON request; the reply's status, JSON and size in bytes. */
export async function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown, token?: string) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { 'content-type': 'application/json', ...auth(token) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, bytes: Buffer.byteLength(text) };
}

export const post = (base: string, path: string, body: unknown, token?: string) => call(base, 'POST', path, body, token);

/** Submits a result as the client does: a frame, its tensors as raw bytes. */
export async function submit(base: string, leaseId: unknown, result: TaskResult, token: string) {
  const body = Buffer.concat(encodeFrame({ leaseId, result }));
  const res = await fetch(new URL('v1/submit', base), {
    method: 'POST',
    headers: { 'content-type': FRAME_CONTENT_TYPE, ...auth(token) },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, bytes: body.byteLength };
}

type Owner = Pick<Wallet, 'address' | 'signTypedData'>;

/** A registration of a CPU device (a fresh id unless `over` names one) to `owner`, signed by `signer`. */
export async function signedRegistration(
  net: Pick<Coordinator, 'address'>,
  owner: Owner,
  signer: Owner = owner,
  over: Partial<Registration> = {},
) {
  const deviceId = over.deviceId ?? `dev-${Math.random().toString(36).slice(2)}`;
  const registration: Registration = {
    deviceId,
    owner: owner.address,
    coordinator: net.address,
    info: JSON.stringify({ deviceId, owner: owner.address, ...cpuDevice }),
    issuedAt: Date.now(),
    ...over,
  };
  return { registration, signature: await signer.signTypedData(eip712Domain(31337), REGISTRATION_TYPES, registration) };
}

/** A new device with a new owner, registered at coordinator time `at`: its id and token. */
export async function registerNew(net: Pick<Coordinator, 'address' | 'url'>, at = Date.now()) {
  const owner = Wallet.createRandom();
  const signed = await signedRegistration(net, owner, owner, { issuedAt: at });
  const reply = await post(net.url, 'v1/devices/register', signed);
  if (reply.status !== 200) throw new Error(`registration refused: ${JSON.stringify(reply.json)}`);
  return { deviceId: signed.registration.deviceId, token: String(reply.json['deviceToken']) };
}

/** Outputs of the right names and shapes (the devnet model's 8 columns), all zero, made without running anything. */
export function zeros(task: Task): TaskResult {
  const rows = task.inputs['X']?.shape[0] ?? 1;
  const outputs = Object.fromEntries(
    task.outputs.map((n) => [n, { dtype: 'float32' as const, shape: [rows, 8], data: new Uint8Array(rows * 8 * 4) }]),
  );
  return { taskId: task.id, outputs, accounting: { wallMs: 1, cpuMs: 1, peakRssBytes: 1, device: 'cpu', operations: 0 } };
}

/** Every epoch the device has not fetched (the cursor stays at 0, so none is forgotten), each checked as a device checks it. */
export async function epochsOf(net: Pick<Coordinator, 'address' | 'url'>, token: string): Promise<EpochBundle[]> {
  const { epochs } = ReceiptsReplySchema.parse((await call(net.url, 'GET', 'v1/receipts?cursor=0', undefined, token)).json);
  for (const bundle of epochs) {
    const problem = bundleProblem(bundle, { chainId: 31337, coordinator: net.address });
    if (problem) throw new Error(`an epoch a device would refuse: ${problem.message}`);
  }
  return epochs;
}

export const receiptsOf = async (net: Pick<Coordinator, 'address' | 'url'>, token: string): Promise<Receipt[]> =>
  (await epochsOf(net, token)).flatMap((b) => b.receipts);
