/** What the job host's two threads share: the messages between them and the coded error a job fails with. */
import { CodedError } from '../../common/coded-error.js';
import type { HostErrorCode, HostMessage, ReadyRequest } from './host-protocol.js';

export class HostError extends CodedError<HostErrorCode> {
  override name = 'HostError';
}

/**
 * Between the threads, one message each way per job (each one wakes a thread that may preempt a compute thread):
 * a job goes in, and its end comes back with its input buffers, for the next requests' bytes.
 */
export interface ToWorker {
  req: ReadyRequest;
}
export interface FromWorker {
  message: HostMessage;
  recycle: ArrayBuffer[];
}
