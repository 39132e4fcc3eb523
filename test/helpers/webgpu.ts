// The renderer's WebGPU runner (renderer/src/lib/gpu) bundled with esbuild (not vite: that would rebuild dist/),
// served from a real local HTTP server (WebGPU needs a secure context) into a real Chromium page.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from './headless.js';

/** vite's `?raw` imports, for esbuild: the file's text as a string. */
const rawText: Plugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};

/** The runner as a classic script that defines `globalThis.SynorGpu` (everything renderer/src/lib/gpu/index.ts exports). */
export async function bundleGpuRunner(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'renderer/src/lib/gpu/index.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'SynorGpu',
    target: 'es2022',
    plugins: [rawText],
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

export interface GpuPage {
  page: Page;
  close(): Promise<void>;
}

/** A page on http://127.0.0.1 with the runner loaded. */
export async function openGpuPage(browser: Browser, script: string): Promise<GpuPage> {
  const server: Server = createServer((req, res) => {
    const js = req.url === '/gpu.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
    // tsx (esbuild keepNames) wraps functions the tests hand to page.evaluate in __name(); the page needs it too.
    const page =
      '<!doctype html><meta charset="utf-8"><title>gpu</title><script>var __name = (f) => f;</script><script src="/gpu.js"></script>';
    res.end(js ? script : page);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'SynorGpu' in globalThis);
  return {
    page,
    async close() {
      await page.close();
      await new Promise((done) => server.close(done));
    },
  };
}
