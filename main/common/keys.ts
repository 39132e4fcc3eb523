/** The keys of a record written out in code, typed as its keys (Object.keys says string[]: an object may hold more). */
export const keysOf = <K extends string>(record: Readonly<Record<K, unknown>>): K[] =>
  Object.keys(record).filter((key): key is K => Object.hasOwn(record, key));

/** `value[name]` for a value not yet parsed: undefined unless it is an object with that field. */
export const fieldOf = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null && name in value ? Reflect.get(value, name) : undefined;
