/**
 * Encoded protobuf bytes as the Buffer grpc-js wants, sharing their memory: `Buffer.from(u8)` would
 * copy every message once more on its way out.
 */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
