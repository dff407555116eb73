// lzma1 publishes its TypeScript sources as its types, and they do not compile under this
// project's strict options (noUncheckedIndexedAccess); this is the part of its API we use.
declare module 'lzma1' {
  /** Decodes an LZMA "alone" stream: 5 property bytes, an 8-byte size, then the data. */
  export function decompress(data: Uint8Array | ArrayBuffer): Uint8Array;
}
