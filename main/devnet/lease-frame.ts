import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Frame, FRAME_CONTENT_TYPE } from '../common/frame.js';
import type { LeaseReply } from '../common/protocol.js';
import type { Tensor } from '../common/task.js';

/** Whether a request takes a frame for its answer (`accept` names the frame's type). */
export const asksForFrame = (req: IncomingMessage): boolean =>
  (req.headers.accept ?? '').split(',').some((type) => type.split(';')[0]?.trim() === FRAME_CONTENT_TYPE);

/** An inline input as raw bytes with their hash: the device checks the hash as it prepares the task. */
function asBytes(t: Tensor): Tensor {
  if (t.kind !== 'inline') return t;
  const data = Buffer.from(t.data, 'base64');
  return { kind: 'bytes', dtype: t.dtype, shape: t.shape, sha256: createHash('sha256').update(data).digest('hex'), data };
}

/** A task's lease reply as a frame (docs/protocol.md, "Leases as frames"): its inputs as raw bytes, not base64 in JSON. */
export function leaseFrame(reply: Extract<LeaseReply, { kind: 'task' }>): Frame {
  const inputs = Object.fromEntries(Object.entries(reply.task.inputs).map(([name, t]) => [name, asBytes(t)]));
  return new Frame({ ...reply, task: { ...reply.task, inputs } });
}
