/** SYNOR and native amounts arrive as integer strings of base units (18 decimals): shown exactly, trimmed. */
export function formatUnits(amount: string, decimals = 18, maxFraction = 9): string {
  const digits = amount.replace(/^0+/, '').padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).slice(0, maxFraction).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** Decimal SYNOR strings ("0.0000012") as they come from the ledger, trimmed for display. */
export const formatSynor = (decimal: string, maxFraction = 9): string => {
  const [whole = '0', fraction = ''] = decimal.split('.');
  const shown = fraction.slice(0, maxFraction).replace(/0+$/, '');
  return shown ? `${whole}.${shown}` : whole;
};

/** Saves text as a file from the page (works in the browser and in the sandboxed Electron window). */
export function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}
