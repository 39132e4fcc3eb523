/**
 * The embedded devnet's process entry, the one devnet file core may import (eslint.config.js): core forks what
 * `devnetProcessEntry()` names, and scripts/build-main.mjs bundles DEVNET_ENTRY_SOURCE as DEVNET_BUNDLE from this
 * same record, so lint sees the dependency and a renamed entry breaks the build, not the packaged app's first start.
 */
import { childEntry, type ChildEntry } from '../core/child-entry.js';

/** The entry's source, from the project root. */
export const DEVNET_ENTRY_SOURCE = 'main/devnet/standalone.ts';
/** Its bundle's name, beside the agent's bundle in dist/main. */
export const DEVNET_BUNDLE = 'devnet';

/** From source, standalone.ts through tsx; in a build, devnet.js next to the bundle this module was bundled into. */
export const devnetProcessEntry = (): ChildEntry => childEntry(import.meta.url, './standalone', DEVNET_BUNDLE);
