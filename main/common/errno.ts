/** The system error code a thrown error carries ('ENOENT', 'EPERM'…), if it carries one. */
export const errnoCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
