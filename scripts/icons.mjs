// App icons from build/icon.svg: PNGs for Linux and the window, an ICO for Windows and an ICNS for macOS, written
// at build time (dist/icons/) so only the SVG is kept in the repository. ICO and ICNS are plain containers of PNGs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS entry types holding PNG data, by pixel size (the @2x types reuse the doubled size). */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
];

export const renderPng = (svg, size) => Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng());

/** ICONDIR + one ICONDIRENTRY per image, each a whole PNG (Windows Vista and later read PNG entries). */
export function icoFile(pngs) {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach(({ size, png }, i) => {
    const at = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, at); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, at + 1);
    header.writeUInt16LE(1, at + 4); // colour planes
    header.writeUInt16LE(32, at + 6); // bits per pixel
    header.writeUInt32LE(png.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...pngs.map((p) => p.png)]);
}

/** 'icns' + total length, then (type, length including its 8-byte header, PNG) per entry; big-endian. */
export function icnsFile(entries) {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

export async function writeIcons(svgFile, outDir) {
  const svg = await readFile(svgFile);
  const pngs = new Map(PNG_SIZES.map((size) => [size, renderPng(svg, size)]));
  await mkdir(outDir, { recursive: true });
  // electron-builder's Linux icon folder wants files named by size.
  await Promise.all([...pngs].map(([size, png]) => writeFile(join(outDir, `${size}x${size}.png`), png)));
  await writeFile(join(outDir, 'icon.ico'), icoFile(ICO_SIZES.map((size) => ({ size, png: pngs.get(size) }))));
  await writeFile(join(outDir, 'icon.icns'), icnsFile(ICNS_TYPES.map(([type, size]) => ({ type, png: pngs.get(size) }))));
}
