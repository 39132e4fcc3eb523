/**
 * The pseudo-locale (en-XA): every sentence of the catalogue accented, lengthened and in brackets, "[Ðååšĥƀööååŕð]",
 * so a word on screen that did not come from the catalogue stands out (test/e2e/pseudo-locale.test.ts finds every
 * one), and a layout that only fits English shows it: each vowel is doubled, about a third longer, as German or
 * French often are. Applied once, where the catalogue is built (en.ts); a function's result is transformed, the
 * values it was given are not.
 */

const PLAIN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ACCENTED = 'åƀçðéƒĝĥîĵķļṁñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ';
const VOWELS = new Set('aeiouAEIOU');
const ACCENTS = new Map(
  [...PLAIN].map((letter, i) => {
    const accented = [...ACCENTED][i] ?? letter;
    return [letter, VOWELS.has(letter) ? accented.repeat(2) : accented];
  }),
);

const accent = (text: string): string => text.replace(/[a-zA-Z]/g, (letter) => ACCENTS.get(letter) ?? letter);

/** `text` accented and bracketed, except where it holds one of `keep` (a value a catalogue function was given). */
export function pseudoText(text: string, keep: readonly string[] = []): string {
  const values = keep.filter((value) => value.length > 0).sort((a, b) => b.length - a.length);
  if (values.length === 0) return `[${accent(text)}]`;
  const escaped = values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pieces = text.split(new RegExp(`(${escaped.join('|')})`));
  // split with one capture group: the values sit at the odd places.
  return `[${pieces.map((piece, i) => (i % 2 === 1 ? piece : accent(piece))).join('')}]`;
}

/** The whole catalogue in the pseudo-locale, same shape: strings, lists and functions at any depth. */
/* eslint-disable @typescript-eslint/consistent-type-assertions -- each branch rebuilds a node of the kind it just checked, which TypeScript cannot tie back to T */
export function pseudoCatalogue<T>(node: T): T {
  if (typeof node === 'string') return pseudoText(node) as T;
  if (typeof node === 'function') {
    const sentence = node as (...args: unknown[]) => unknown;
    const wrapped = (...args: unknown[]): unknown => {
      const result = sentence(...args);
      const given = args.flatMap((arg) => (Array.isArray(arg) ? arg : [arg])).filter((arg) => typeof arg === 'string');
      return typeof result === 'string' ? pseudoText(result, given) : result;
    };
    return wrapped as T;
  }
  if (Array.isArray(node)) return node.map((item: unknown) => pseudoCatalogue(item)) as T;
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, pseudoCatalogue(value)])) as T;
  }
  return node;
}
/* eslint-enable @typescript-eslint/consistent-type-assertions -- the rebuilt nodes end here */
