/** The keys of a record written out in code, typed as its keys (Object.keys says string[]: an object may hold more). */
export const keysOf = <K extends string>(record: Readonly<Record<K, unknown>>): K[] =>
  Object.keys(record).filter((key): key is K => Object.hasOwn(record, key));
