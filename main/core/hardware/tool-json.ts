/**
 * The JSON document inside a vendor tool's output. Tools print warnings before it ("WARNING: … {…}"), notices after
 * it, or stop half-way (a killed system_profiler): the answer is the longest balanced object or array that parses,
 * or null when there is none. Strings are followed so a brace inside a value does not count.
 */

/** Index just past the bracket that closes the one at `start`, or -1 when the text ends first. */
function closing(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export function extractJson(output: string): Record<string, unknown> | unknown[] | null {
  let best: { length: number; value: Record<string, unknown> | unknown[] } | null = null;
  for (let start = output.search(/[[{]/); start >= 0 && start < output.length;) {
    const end = closing(output, start);
    const value = end < 0 ? undefined : parse(output.slice(start, end));
    const found = value !== null && typeof value === 'object';
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- JSON that parsed to an object is a record or a list
    if (found && end - start > (best?.length ?? 0)) best = { length: end - start, value: value as Record<string, unknown> | unknown[] };
    // A document that parsed holds no larger one inside it: look after it; otherwise at the next bracket.
    const next = output.slice(found ? end : start + 1).search(/[[{]/);
    start = next < 0 ? -1 : (found ? end : start + 1) + next;
  }
  return best?.value ?? null;
}
