import { randomBytes } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';

/** A source of numbers in [0, 1): the devnet draws its checks and task sizes from one, so a seed replays a run. */
export type Random = () => number;

/**
 * The default: from the OS's secure source, since a device that could predict the draws would know which of its
 * results go unchecked.
 */
export const cryptoRandom: Random = () => Number(randomBytes(8).readBigUInt64BE() >> 11n) / 2 ** 53;

/** The same sequence for the same seed (Mersenne Twister; unlike xoroshiro128+ its first draws from small seeds are spread). */
export function seededRandom(seed: number): Random {
  const rng = mersenne(seed);
  return () => uniformFloat64(rng);
}
