import { z } from 'zod';

/** The addon calls the probe child makes for the agent: the ones that load driver libraries, and cpuid off Linux. */
export const PROBE_CALLS = ['nvidia', 'amd', 'intel', 'apple', 'cpu'] as const;
export type ProbeCall = (typeof PROBE_CALLS)[number];

/** One request to the probe child (probe-child.ts); `library` is the driver library's name or path. */
export interface ProbeRequest {
  id: number;
  call: ProbeCall;
  library: string;
}

/**
 * The child's answer: the addon's raw value (native-probe.ts parses it, as it does in-process), or why the call did
 * not run. Parsed here like any boundary; the child itself only imports the types (no zod in its bundle).
 */
export const ProbeReplySchema = z.discriminatedUnion('type', [
  z.object({ id: z.number(), type: z.literal('value'), value: z.unknown() }),
  z.object({ id: z.number(), type: z.literal('failed'), message: z.string() }),
]);
export type ProbeReply = z.infer<typeof ProbeReplySchema>;
