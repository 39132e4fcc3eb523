import type { AgentError } from '../../../../main/common/result';
import type { GuardedAction } from '../../../../main/common/wallet';
import { t } from '../../i18n/en';
import { formatTime } from '../../lib/locale';
import { agent } from '../../state/agent.svelte';

type Auth = { passphrase: string } | { token: string; address: string };
type Failure = { ok: false; error: AgentError };

/**
 * Export, removal and a reveal need more than this page's token (core/wallet/guard.ts): the wallet passphrase for
 * a key in a file; for a key the OS keeps, a confirmation asked for first, usable after its cool-down, with the
 * address. Each form keeps its own, so one form's passphrase never fills another's.
 */
export class Guard {
  confirmation = $state<{ action: GuardedAction; token: string; readyAt: number } | null>(null);

  async run<R extends { ok: boolean }>(
    action: GuardedAction,
    input: { passphrase: string; address: string },
    work: (auth: Auth) => Promise<R>,
  ): Promise<R | Failure> {
    const w = agent.state?.wallet.wallet;
    if (w?.state !== 'none' && w?.storage === 'keystore-file') {
      if (!input.passphrase) return { ok: false, error: { code: 'CONFIRMATION_REQUIRED', message: t.wallet.passphraseFirst } };
      return work({ passphrase: input.passphrase });
    }
    const pending = this.confirmation;
    if (pending?.action === action && Date.now() >= pending.readyAt) {
      this.confirmation = null;
      return work({ token: pending.token, address: input.address });
    }
    const asked = await agent.request('walletRequestConfirmation', { action });
    if (!asked.ok) return asked;
    this.confirmation = { action, token: asked.value.token, readyAt: asked.value.readyAt };
    return { ok: false, error: { code: 'CONFIRMATION_REQUIRED', message: t.wallet.confirmWait(formatTime(asked.value.readyAt)) } };
  }
}

/** Whether this wallet's key is in a passphrase file (then guarded steps ask for the passphrase). */
export const hasPassphrase = (): boolean => {
  const w = agent.state?.wallet.wallet;
  return w !== undefined && w.state !== 'none' && w.storage === 'keystore-file';
};
