const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "2h30m", "1d" → milliseconds; undefined for anything else (no unit, zero, an unknown unit). */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+[smhd])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(count) * (UNIT_MS[unit ?? ''] ?? NaN);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
