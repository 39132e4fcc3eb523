import type { AgentError } from '../../../../main/common/result';
import { errorWords, fieldWords } from '../../state/agent.svelte';

/** What one form says about its last action, beside its own button: a failure, the next step asked for, or done. */
export interface Note {
  tone: 'error' | 'hint' | 'done';
  text: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: AgentError };

/**
 * One wallet form's state: busy while its command runs, and its note. Each form has its own, so a message stands
 * beside the control that caused it and a new attempt clears the last outcome at once (a failure never stands beside
 * an earlier "Backup saved").
 */
export class WalletForm {
  busy = $state(false);
  note = $state<Note | null>(null);

  /** Runs a command; says its failure in plain words, or `success` (given the result) once it is done. */
  async run<T>(work: () => Promise<Outcome<T>>, success?: (value: T) => string | null): Promise<Outcome<T>> {
    this.busy = true;
    this.note = null;
    const result = await work();
    this.busy = false;
    if (!result.ok) this.note = { tone: result.error.code === 'PASSPHRASE_REQUIRED' ? 'hint' : 'error', text: words(result.error) };
    else {
      const said = success?.(result.value) ?? null;
      if (said) this.note = { tone: 'done', text: said };
    }
    return result;
  }

  fail(text: string): void {
    this.note = { tone: 'error', text };
  }
}

/** Field messages when the agent named fields, else one sentence for the code. */
function words(error: AgentError): string {
  const fields = Object.values(fieldWords(error.fields));
  return fields.length > 0 && error.code === 'VALIDATION' ? fields.join(' ') : errorWords(error);
}
