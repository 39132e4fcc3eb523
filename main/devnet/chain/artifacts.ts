import { z } from 'zod';
import raw from './artifacts.json' with { type: 'json' };

export const CONTRACT_NAMES = ['SynorToken', 'SynorPayout'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

const ContractArtifactSchema = z.object({
  abi: z.array(z.record(z.string(), z.unknown())),
  bytecode: z.string().regex(/^0x[0-9a-f]+$/),
});
export type ContractArtifact = z.infer<typeof ContractArtifactSchema>;

export const ArtifactsSchema = z.object({
  sourceHash: z.string(),
  solcVersion: z.string(),
  evmVersion: z.string(),
  contracts: z.object({ SynorToken: ContractArtifactSchema, SynorPayout: ContractArtifactSchema }),
});
export type Artifacts = z.infer<typeof ArtifactsSchema>;

/** Loaded lazily: compile.ts imports this module to write the file it reads. */
export const loadArtifacts = (): Artifacts => ArtifactsSchema.parse(raw);
