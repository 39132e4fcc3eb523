import { z } from 'zod';
import { HardwareReportSchema } from '../../common/hardware.js';

/** What the probe child (probe-child.ts) answers to a request { id }: parsed by the parent like any boundary. */
export const ProbeChildReplySchema = z.discriminatedUnion('type', [
  z.object({ id: z.number(), type: z.literal('report'), report: HardwareReportSchema }),
  z.object({ id: z.number(), type: z.literal('failed'), message: z.string() }),
]);
export type ProbeChildReply = z.infer<typeof ProbeChildReplySchema>;
