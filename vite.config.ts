import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  // Relative URLs so the same build loads from file:// in Electron and from the headless server.
  base: './',
  plugins: [svelte({ configFile: false })],
  build: { outDir: '../dist/renderer', emptyOutDir: true, target: 'es2022', modulePreload: false },
});
