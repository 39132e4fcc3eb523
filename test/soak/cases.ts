// The reliability suite's cases (issue 17: hostile coordinator, results never dropped in silence, receipts kept).
// Each runs real parts: the real ModelCache/runtime/scheduler/network client, the real devnet coordinator, a hostile
// node:http server on 127.0.0.1 for what no honest coordinator does, and a real 2 MB tmpfs for a full disk.
// `fast` cases also run in `npm test` (test/integration/soak.test.ts); `npm run soak` runs all of them at full size.
import { ADDRESS_CASES } from './cases-address.js';
import { BATCHING_CASES } from './cases-batching.js';
import { BATCH_SUBMIT_CASES } from './cases-batch-submit.js';
import { CHART_CASES } from './cases-charts.js';
import { CHEATING_CASES } from './cases-cheating.js';
import { CLAIM_CASES } from './cases-claims.js';
import { DELEGATION_CASES } from './cases-delegation.js';
import { DEVICE_CASES } from './cases-devices.js';
import { DOOR_CASES } from './cases-door.js';
import { DOWNLOAD_CASES } from './cases-downloads.js';
import { FLEET_CASES } from './cases-fleet.js';
import { FLEET_ALERT_CASES } from './cases-fleet-alerts.js';
import { FLEET_BROKER_CASES } from './cases-fleet-broker.js';
import { LEASING_CASES } from './cases-leasing.js';
import { LEASE_FRAME_CASES } from './cases-lease-frames.js';
import { LEDGER_CASES } from './cases-ledger.js';
import { LEDGER_QUERY_CASES } from './cases-ledger-queries.js';
import { LOCK_CASES } from './cases-lock.js';
import { NETWORK_CASES } from './cases-networks.js';
import { OUTBOX_CASES } from './cases-outbox.js';
import { WORK_CASES } from './cases-work.js';
import { STATE_CASES } from './cases-state.js';
import { WALLET_CASES } from './cases-wallet.js';
import type { SoakCase } from './case.js';

export type { Size, SoakCase } from './case.js';

export const CASES: SoakCase[] = [
  ...DOWNLOAD_CASES,
  ...WORK_CASES,
  ...LOCK_CASES,
  ...STATE_CASES,
  ...WALLET_CASES,
  ...DOOR_CASES,
  ...LEASING_CASES,
  ...LEASE_FRAME_CASES,
  ...CHEATING_CASES,
  ...BATCHING_CASES,
  ...BATCH_SUBMIT_CASES,
  ...OUTBOX_CASES,
  ...NETWORK_CASES,
  ...ADDRESS_CASES,
  ...CHART_CASES,
  ...CLAIM_CASES,
  ...DELEGATION_CASES,
  ...DEVICE_CASES,
  ...FLEET_CASES,
  ...FLEET_ALERT_CASES,
  ...FLEET_BROKER_CASES,
  ...LEDGER_CASES,
  ...LEDGER_QUERY_CASES,
];
