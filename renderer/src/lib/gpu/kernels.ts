// The kernels of shaders/manifest.json with their WGSL text, bundled into the renderer at build time.
import { z } from 'zod';
import { GpuUnitSchema } from '../../../../main/common/webgpu';
import manifest from '../../../../shaders/manifest.json';
import matmul from '../../../../shaders/matmul.wgsl?raw';
import f16 from '../../../../shaders/prelude/f16.wgsl?raw';
import f32 from '../../../../shaders/prelude/f32.wgsl?raw';
import int8Dot4 from '../../../../shaders/prelude/int8-dot4.wgsl?raw';
import int8Unpack from '../../../../shaders/prelude/int8-unpack.wgsl?raw';
import reduce from '../../../../shaders/reduce.wgsl?raw';
import stream from '../../../../shaders/stream.wgsl?raw';

export const SHADER_FILES: Readonly<Record<string, string>> = {
  'matmul.wgsl': matmul,
  'stream.wgsl': stream,
  'reduce.wgsl': reduce,
  'prelude/f32.wgsl': f32,
  'prelude/f16.wgsl': f16,
  'prelude/int8-dot4.wgsl': int8Dot4,
  'prelude/int8-unpack.wgsl': int8Unpack,
};

const ShaderFile = z.string().refine((file) => file in SHADER_FILES, 'not a bundled shader file (add it to SHADER_FILES)');
const Count = z.number().int().positive();

export const ManifestKernelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/),
    kind: z.enum(['matmul', 'copy', 'triad', 'reduce']),
    element: z.enum(['f32', 'f16', 'int8']),
    prelude: ShaderFile.optional(),
    source: ShaderFile,
    entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    workgroupSize: z.tuple([Count, Count]),
    consts: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), Count).default({}),
    requires: z.object({ features: z.array(z.string()), languageFeatures: z.array(z.string()) }).strict(),
    unit: GpuUnitSchema,
    measures: z.string(),
    work: z.string(),
  })
  .strict()
  .refine((k) => k.kind !== 'matmul' || k.consts['R'] !== undefined, 'a matmul kernel needs consts.R (outputs per invocation per axis)')
  .refine(
    (k) => k.kind !== 'reduce' || Number.isInteger(Math.log2(k.workgroupSize[0] * k.workgroupSize[1])),
    'the reduction tree needs a power-of-two workgroup',
  );
export type ManifestKernel = z.infer<typeof ManifestKernelSchema>;

export interface SourcePart {
  /** Where a compile error points: a file under shaders/, or the consts generated from the manifest. */
  name: string;
  code: string;
}

export interface Kernel extends ManifestKernel {
  parts: SourcePart[];
}

/** prelude + consts from the manifest + source: directives (enable, requires) must come first, so the prelude does. */
export function assemble(kernel: ManifestKernel): Kernel {
  const consts = { WG_X: kernel.workgroupSize[0], WG_Y: kernel.workgroupSize[1], ...kernel.consts };
  const parts: SourcePart[] = [
    ...(kernel.prelude ? [{ name: kernel.prelude, code: SHADER_FILES[kernel.prelude] ?? '' }] : []),
    {
      name: `manifest.json (${kernel.id} consts)`,
      code: Object.entries(consts)
        .map(([name, value]) => `const ${name} = ${value}u;`)
        .join('\n'),
    },
    { name: kernel.source, code: SHADER_FILES[kernel.source] ?? '' },
  ];
  return { ...kernel, parts };
}

export const KERNELS: readonly Kernel[] = z
  .object({ kernels: z.array(ManifestKernelSchema) })
  .parse(manifest)
  .kernels.map(assemble);
