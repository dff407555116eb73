/**
 * Reads a zip archive's directory and entries with yauzl. Sizes come from the central
 * directory before anything is inflated, so a zip bomb is refused by its declared sizes
 * and ratio; yauzl also checks that each entry inflates to no more than it declared.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface ZipEntry {
  name: string;
  encrypted: boolean;
  /** ZipCrypto or AES (WinZip AE-x, compression method 99). */
  encryption?: 'ZipCrypto' | 'AES';
  compressedSize: number;
  uncompressedSize: number;
  isDirectory: boolean;
}

export interface ZipArchive {
  entries: ZipEntry[];
  /** The entry's bytes; rejects if it inflates past `maxBytes` or is damaged. */
  read(entry: ZipEntry, maxBytes: number): Promise<Buffer>;
  close(): void;
}

/** Opens an archive, refusing one with more than `maxEntries` entries before reading them all. */
export async function openZip(bytes: Buffer, maxEntries: number): Promise<ZipArchive> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false });
  if (zip.entryCount > maxEntries) {
    zip.close();
    throw new ZipLimitError(`it has ${zip.entryCount} entries (limit ${maxEntries})`);
  }
  const raw = new Map<ZipEntry, yauzl.Entry>();
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const aes = entry.compressionMethod === 99;
      const summary: ZipEntry = {
        name: entry.fileName,
        encrypted: entry.isEncrypted(),
        ...(entry.isEncrypted() ? { encryption: aes ? ('AES' as const) : ('ZipCrypto' as const) } : {}),
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        isDirectory: entry.fileName.endsWith('/'),
      };
      raw.set(summary, entry);
      entries.push(summary);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return {
    entries,
    async read(entry, maxBytes) {
      if (entry.uncompressedSize > maxBytes) throw new ZipLimitError(`${entry.name} is ${entry.uncompressedSize} bytes (limit ${maxBytes})`);
      const stream: Readable = await zip.openReadStreamPromise(raw.get(entry)!);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) {
          stream.destroy();
          throw new ZipLimitError(`${entry.name} inflates past ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    close: () => zip.close(),
  };
}

/** An archive over one of the limits: unscannable by policy, not damaged. */
export class ZipLimitError extends Error {
  override readonly name = 'ZipLimitError';
}
