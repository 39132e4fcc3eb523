/**
 * The slice of the WebGPU API the runner uses. TypeScript's DOM lib has no WebGPU yet and @webgpu/types is not
 * installed; the names match the spec so swapping these for @webgpu/types is a change of imports.
 */

export const BufferUsage = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 };
export const MapMode = { READ: 0x0001 };

export interface GPU {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GPUAdapter | null>;
  readonly wgslLanguageFeatures: ReadonlySet<string>;
}

export interface GPUSupportedLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

export interface GPUAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Newer browsers only; older ones put it on the adapter. */
  readonly isFallbackAdapter?: boolean;
}

export interface GPUAdapter {
  readonly info: GPUAdapterInfo;
  readonly features: ReadonlySet<string>;
  readonly limits: GPUSupportedLimits;
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GPUDevice>;
}

export interface GPUDeviceLostInfo {
  readonly reason: 'unknown' | 'destroyed';
  readonly message: string;
}

export interface GPUError {
  readonly message: string;
}

export interface GPUCompilationMessage {
  readonly message: string;
  readonly type: 'error' | 'warning' | 'info';
  readonly lineNum: number;
  readonly linePos: number;
}

export interface GPUShaderModule {
  getCompilationInfo(): Promise<{ readonly messages: readonly GPUCompilationMessage[] }>;
}

export interface GPUBuffer {
  readonly size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GPUBindGroupLayout {
  readonly label: string;
}

export interface GPUComputePipeline {
  getBindGroupLayout(index: number): GPUBindGroupLayout;
}

export interface GPUBindGroup {
  readonly label: string;
}

export interface GPUComputePassEncoder {
  setPipeline(pipeline: GPUComputePipeline): void;
  setBindGroup(index: number, group: GPUBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GPUCommandBuffer {
  readonly label: string;
}

export interface GPUCommandEncoder {
  beginComputePass(): GPUComputePassEncoder;
  copyBufferToBuffer(source: GPUBuffer, sourceOffset: number, destination: GPUBuffer, destinationOffset: number, size: number): void;
  finish(): GPUCommandBuffer;
}

export interface GPUQueue {
  submit(buffers: GPUCommandBuffer[]): void;
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView<ArrayBuffer>): void;
  onSubmittedWorkDone(): Promise<void>;
}

export interface GPUDevice {
  readonly queue: GPUQueue;
  readonly lost: Promise<GPUDeviceLostInfo>;
  readonly limits: GPUSupportedLimits;
  createShaderModule(descriptor: { code: string; label?: string }): GPUShaderModule;
  createComputePipelineAsync(descriptor: {
    layout: 'auto';
    compute: { module: GPUShaderModule; entryPoint: string; constants?: Record<string, number> };
  }): Promise<GPUComputePipeline>;
  createBuffer(descriptor: { size: number; usage: number; label?: string }): GPUBuffer;
  createBindGroup(descriptor: {
    layout: GPUBindGroupLayout;
    entries: { binding: number; resource: { buffer: GPUBuffer } }[];
  }): GPUBindGroup;
  createCommandEncoder(): GPUCommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<GPUError | null>;
  destroy(): void;
}
