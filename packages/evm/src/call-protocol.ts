// Messages between the engine's thread and a call worker (structured clone: bigint and Uint8Array pass as they are).
import type { CallRequest, CallTarget } from './message-call.js';

export type ToWorker =
  | { type: 'run'; job: number; op: 'call' | 'estimateGas'; request: CallRequest; target: CallTarget }
  | { type: 'answer'; ask: number; value: Uint8Array | undefined };

export interface WorkerFailure {
  kind: 'execution-failed' | 'engine' | 'internal';
  message: string;
  revertData?: Uint8Array;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'trieGet'; ask: number; key: string }
  | { type: 'blockHash'; ask: number; number: number }
  | { type: 'done'; job: number; ok: true; value: unknown }
  | { type: 'done'; job: number; ok: false; error: WorkerFailure };
