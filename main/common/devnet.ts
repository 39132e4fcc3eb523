import { z } from 'zod';
import { ChainSettingsSchema } from './wallet.js';

/** The one message a forked devnet sends its parent: where to reach the coordinator and the payout chain. */
export const DevnetReadySchema = z.object({ type: z.literal('ready'), url: z.string().url(), chain: ChainSettingsSchema }).strict();
export type DevnetReady = z.infer<typeof DevnetReadySchema>;
