/**
 * Decoding bounds for PNG/JPEG files. A file's header declares its size; a 140 KB PNG can declare 12000x12000 and cost
 * gigabytes to decode (or, at 100000², crash the decoder with an internal error). The declared size is checked against
 * a pixel limit before any pixel is decoded. The limit is 4096² by default, raised or lowered with
 * $CRATE_LAB_MAX_IMAGE_PIXELS (a number of pixels, e.g. 67108864 for 8192²) or `LoadOptions.maxImagePixels`.
 */

export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;
export const MAX_PIXELS_ENV = 'CRATE_LAB_MAX_IMAGE_PIXELS';

/** The limit in force: the explicit one, else the environment's, else the default. */
export function maxImagePixels(explicit?: number): number {
  if (explicit !== undefined && Number.isFinite(explicit) && explicit > 0) return Math.floor(explicit);
  const env = Number(process.env[MAX_PIXELS_ENV]);
  return Number.isFinite(env) && env > 0 ? Math.floor(env) : DEFAULT_MAX_IMAGE_PIXELS;
}

/** "4096x4096" for a square limit, else the pixel count. */
export function limitText(limit: number): string {
  const side = Math.round(Math.sqrt(limit));
  return side * side === limit ? `${side}x${side} = ${limit.toLocaleString('en-US')} pixels` : `${limit.toLocaleString('en-US')} pixels`;
}

/** Width and height from a PNG IHDR chunk; null when the header is too short to say. */
export function pngSize(buf: Uint8Array): { width: number; height: number } | null {
  // signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4)
  if (buf.length < 24 || buf[12] !== 0x49 || buf[13] !== 0x48 || buf[14] !== 0x44 || buf[15] !== 0x52) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Width and height from a JPEG's first start-of-frame marker; null when none is found. */
export function jpegSize(buf: Uint8Array): { width: number; height: number } | null {
  let i = 2; // after SOI
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const len = (buf[i + 2] << 8) | buf[i + 3];
    if (len < 2) return null;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision (1), height (2), width (2)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > buf.length) return null;
      return { height: (buf[i + 5] << 8) | buf[i + 6], width: (buf[i + 7] << 8) | buf[i + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end before any frame header
    i += 2 + len;
  }
  return null;
}
