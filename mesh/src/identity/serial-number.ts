import { randomBytes } from "node:crypto";

/**
 * A random certificate serial number in hex: 16 bytes (RFC 5280 allows up to 20) with the top
 * bit cleared so the DER integer is positive, and the lowest bit of the first byte set so it
 * keeps its full length (no leading zero byte to strip).
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString("hex");
}
