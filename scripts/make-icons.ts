/**
 * Draws the OfficeLLM mark (two white sparkles on an indigo rounded square) as PNG files at the
 * sizes the add-in manifest asks for, into addin/public/assets/ (Vite copies them into the build,
 * served at /addin/assets/…). The PNGs are committed; run this again only to change the mark:
 *
 *   sh scripts/node24.sh node scripts/make-icons.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";

/** 16, 32 and 80 for the ribbon; 32 for IconUrl, 64 for HighResolutionIconUrl, 192 for the unified manifest's colour icon. */
export const iconSizes = [16, 32, 64, 80, 192] as const;

export const iconDirectory = new URL("../addin/public/assets/", import.meta.url);

const background = [79, 70, 229] as const; // indigo
const foreground = [255, 255, 255] as const;

/** Samples per pixel along each axis, for smooth edges. */
const supersampling = 8;

function insideRoundedSquare(x: number, y: number): boolean {
  const inset = 1 / 16;
  const radius = 0.2;
  const half = 0.5 - inset;
  const qx = Math.max(Math.abs(x - 0.5) - (half - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (half - radius), 0);
  return qx * qx + qy * qy <= radius * radius;
}

/** A four-pointed sparkle: |dx|^p + |dy|^p <= r^p with p < 1 gives concave sides. */
function insideSparkle(x: number, y: number, cx: number, cy: number, r: number): boolean {
  const p = 0.6;
  return (Math.abs(x - cx) / r) ** p + (Math.abs(y - cy) / r) ** p <= 1;
}

function colourAt(x: number, y: number): readonly [number, number, number] | undefined {
  if (!insideRoundedSquare(x, y)) return undefined;
  if (insideSparkle(x, y, 0.44, 0.56, 0.3) || insideSparkle(x, y, 0.73, 0.28, 0.14)) {
    return foreground;
  }
  return background;
}

/** RGBA pixels of the mark at `size` × `size`. */
export function renderIcon(size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const samples = supersampling * supersampling;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < supersampling; sy++) {
        for (let sx = 0; sx < supersampling; sx++) {
          const colour = colourAt(
            (px + (sx + 0.5) / supersampling) / size,
            (py + (sy + 0.5) / supersampling) / size,
          );
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          covered++;
        }
      }
      const offset = (py * size + px) * 4;
      if (covered > 0) {
        pixels[offset] = Math.round(r / covered);
        pixels[offset + 1] = Math.round(g / covered);
        pixels[offset + 2] = Math.round(b / covered);
        pixels[offset + 3] = Math.round((covered / samples) * 255);
      }
    }
  }
  return pixels;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A PNG file (8-bit RGBA, no filtering) of `width` × `height` RGBA pixels. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    // Each row starts with its filter type, 0 (none).
    rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

if (import.meta.main) {
  mkdirSync(iconDirectory, { recursive: true });
  for (const size of iconSizes) {
    const file = new URL(`icon-${size}.png`, iconDirectory);
    writeFileSync(file, encodePng(size, size, renderIcon(size)));
    process.stdout.write(`wrote ${file.pathname}\n`);
  }
}
