// Wallet costs: keystore scrypt at the app's real cost (ethers default N = 2^17) and how long it blocks the event
// loop (the agent must keep serving the UI meanwhile), against a baseline of the same probe on an idle loop;
// then a claim on a local anvil chain against a bare RPC round trip, and the offline contract build.
import { Wallet, parseUnits } from 'ethers';
import { systemClock } from '../../main/core/node-ports.js';
import { connectChain } from '../../main/core/wallet/chain.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { compile } from '../../main/devnet/chain/compile.js';
import { deployPayout, fundNative, startLocalChain } from '../../main/devnet/chain/local-chain.js';
import { signVoucher } from '../../main/devnet/chain/vouchers.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `work` while a 1 ms interval timer watches the event loop; returns its duration and the longest gap seen. */
async function withLoopProbe(work: () => Promise<unknown>): Promise<{ ms: number; maxStallMs: number }> {
  let last = process.hrtime.bigint();
  let maxStallMs = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    maxStallMs = Math.max(maxStallMs, Number(now - last) / 1e6);
    last = now;
  }, 1);
  const start = process.hrtime.bigint();
  await work();
  const elapsed = ms(start);
  clearInterval(timer);
  return { ms: elapsed, maxStallMs };
}

const idle = await withLoopProbe(() => new Promise((resolve) => setTimeout(resolve, 800)));
Wallet.createRandom(); // loads the word list once
const createMs = median(
  Array.from({ length: 9 }, () => {
    const t = process.hrtime.bigint();
    Wallet.createRandom();
    return ms(t);
  }),
);

const progress: number[] = [];
const dir = await tempDir();
const service = new WalletService({ dir, secrets: null, logger: new MemoryLogger(), onProgress: (p) => progress.push(p.fraction) });
await service.open();
const encrypt = await withLoopProbe(() => service.create({ passphrase: 'bench passphrase' }));
const again = new WalletService({ dir, secrets: null, logger: new MemoryLogger() });
await again.open();
const decrypt = await withLoopProbe(() => again.unlock({ passphrase: 'bench passphrase' }));

console.log('keystore scrypt at the default cost (N = 2^17):');
console.log(`  Wallet.createRandom()        ${createMs.toFixed(1)} ms median (baseline for key work)`);
console.log(
  `  create + encrypt keystore    ${encrypt.ms.toFixed(0)} ms = ${(encrypt.ms / createMs).toFixed(0)}× createRandom; ${progress.length} progress reports`,
);
console.log(`  unlock (decrypt keystore)    ${decrypt.ms.toFixed(0)} ms`);
console.log(
  `  longest event-loop stall: idle ${idle.maxStallMs.toFixed(1)} ms, during encrypt ${encrypt.maxStallMs.toFixed(1)} ms ` +
    `(${(encrypt.maxStallMs / idle.maxStallMs).toFixed(1)}× idle), during decrypt ${decrypt.maxStallMs.toFixed(1)} ms`,
);

const chainStart = process.hrtime.bigint();
const chain = await startLocalChain();
const anvilMs = ms(chainStart);
const coordinator = Wallet.createRandom();
const { settings } = await deployPayout(chain, { coordinator: coordinator.address });
const client = await connectChain(settings, { clock: systemClock });
const owner = new Wallet(Wallet.createRandom().privateKey, client.provider);
await fundNative(chain, owner.address);
const rpc: number[] = [];
const claims: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = process.hrtime.bigint();
  await client.provider.getBlockNumber();
  rpc.push(ms(t));
  const amount = parseUnits('1', 18).toString();
  const voucher = await signVoucher(coordinator, settings, {
    owner: owner.address,
    amount,
    ranges: [{ deviceId: 'bench', firstSeq: i + 1, lastSeq: i + 1, amount }],
    expiry: Math.floor(Date.now() / 1000) + 600,
  });
  const c = process.hrtime.bigint();
  await client.claim(owner, voucher);
  claims.push(ms(c));
}
console.log('local chain (anvil):');
console.log(`  anvil start to listening     ${anvilMs.toFixed(0)} ms`);
console.log(`  RPC round trip (baseline)    ${median(rpc).toFixed(1)} ms median`);
console.log(
  `  claim sent and confirmed     ${median(claims).toFixed(1)} ms median = ${(median(claims) / median(rpc)).toFixed(1)}× an RPC round trip`,
);
client.close();
await chain.stop();

const compileStart = process.hrtime.bigint();
compile();
console.log(
  `contracts: solcjs compile of SynorToken + SynorPayout ${ms(compileStart).toFixed(0)} ms (done offline; the app loads artifacts.json)`,
);
