import type { Provider, SessionConfig } from './host-protocol.js';

/** onnxruntime execution-provider entries for a lane; the VRAM budget rides along as the provider's memory limit. */
export function executionProviders(config: SessionConfig): { name: string; [option: string]: unknown }[] {
  const gpu = { deviceId: config.deviceIndex, ...(config.vramBudgetBytes ? { gpu_mem_limit: config.vramBudgetBytes } : {}) };
  return config.providers.map((name: Provider) => {
    if (name === 'cuda') return { name, ...gpu };
    if (name === 'dml') return { name, deviceId: config.deviceIndex };
    return { name };
  });
}

/** First line of an error, for telling the user why a provider was skipped. */
export const firstLine = (error: unknown): string => String(error instanceof Error ? error.message : error).split('\n')[0]!.slice(0, 300);
