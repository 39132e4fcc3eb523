import { z } from 'zod';

/**
 * The headless agent's one route beside the command API: a new token for its local address. It is the server's, not
 * a command: the token belongs to the HTTP door, which the desktop app does not have.
 */
export const HTTP_TOKEN_ROTATE_PATH = '/api/token/rotate';

/** The new link to open: the old one, and every script holding the old token, stop working. */
export const TokenRotatedSchema = z.object({ url: z.string().url() }).strict();
export type TokenRotated = z.infer<typeof TokenRotatedSchema>;
