import { join } from 'node:path';
import { errorText } from '../common/result.js';
import type { ActivityEntry, Notice, Tell } from '../common/state.js';
import type { Settings } from '../common/settings.js';
import type { Contribution } from './contribution.js';
import type { Ports } from './ports.js';
import { AutoClaim } from './wallet/auto-claim.js';
import { WalletController } from './wallet/controller.js';
import { WalletService } from './wallet/service.js';

export interface AgentWalletDeps {
  ports: Pick<Ports, 'clock' | 'logger' | 'secrets' | 'saveBackup'>;
  dataDir: string;
  settings(): Settings;
  /** What the wallet claims: the contribution built after it. */
  contribution(): Pick<Contribution, 'voucher' | 'claimContext' | 'deviceId'>;
  log(kind: ActivityEntry['kind'], message: string): void;
  say(item: Tell, logged: boolean): void;
  onChange(): void;
}

/** The wallet's parts: its key (the service), the wallet as the page sees it, and claiming by itself. */
export function buildWallet(d: AgentWalletDeps): { service: WalletService; wallet: WalletController } {
  const { clock, logger } = d.ports;
  const voucher = async () => (await d.contribution().voucher()) ?? undefined;
  const service = new WalletService({
    dir: join(d.dataDir, 'wallet'),
    secrets: d.ports.secrets,
    saveBackup: d.ports.saveBackup,
    onNotice: (message) => d.log('notice', message),
    onProgress: (progress) => wallet.keyWork(progress),
    logger,
    now: () => clock.now(),
  });
  const wallet = new WalletController({
    service,
    clock,
    logger,
    payouts: {
      voucher,
      context: () => d.contribution().claimContext(),
      deviceId: () => d.contribution().deviceId(),
    },
    onChange: d.onChange,
    onActivity: d.log,
    onRefresh: (view) => autoClaim.consider(view),
  });
  const autoClaim = new AutoClaim({ wallet, settings: () => d.settings().autoClaim, voucher, clock, logger, say: d.say });
  return { service, wallet };
}

/**
 * Opens the wallet file. One that cannot be read, or was damaged and set aside, is a notice, not a crash: the app
 * runs and says what to do.
 */
export async function openWallet(service: WalletService, logger: Ports['logger']): Promise<Notice[]> {
  const notices: Notice[] = [];
  await service.open().catch((error: unknown) => {
    const message = `Your wallet could not be opened: ${errorText(error)}. The file was left as it is.`;
    notices.push({ id: 'wallet-unusable', level: 'error', code: 'WALLET_UNUSABLE', message });
    logger.error(message);
  });
  if (service.notice) {
    notices.push({ id: 'wallet-repaired', level: 'warning', code: 'WALLET_FILE_SET_ASIDE', message: service.notice });
    logger.warn(`wallet: ${service.notice}`);
  }
  return notices;
}
