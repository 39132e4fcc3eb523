import { errorText } from '../../common/result.js';
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

/**
 * First line of an error, for telling the user why a provider was skipped. onnxruntime's checks put a source
 * location, a C++ signature and the failed condition before the reason ("….cc:136 …Initialize(…) x was false. Failed
 * to get a WebGPU adapter: …"): only the reason is kept.
 */
export const firstLine = (error: unknown): string =>
  errorText(error)
    .replace(/^\S+\.(?:cc|cpp|h):\d+ .* was false\. /, '')
    .slice(0, 300);

/** Execution providers this onnxruntime build lists; some need libraries fetched at install (CUDA), which may be missing. */
export async function supportedBackends(): Promise<string[]> {
  const ort = await import('onnxruntime-node');
  return ort.listSupportedBackends().map((b) => b.name);
}
