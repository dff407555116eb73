/**
 * A small zip writer (PKWARE APPNOTE: local headers, central directory, end record) for
 * generating archives inside fuzz tests, including ones that lie: declared sizes, flags and
 * methods can be set apart from the data, which real tools never write.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** General-purpose flag bit 0: the entry claims to be encrypted. */
  encryptedFlag?: boolean;
  /** A compression method other than stored (0) or deflate (8): 99 is WinZip AES, 12 bzip2. */
  method?: number;
  /** Sizes written into the headers instead of the real ones. */
  declaredCompressedSize?: number;
  declaredUncompressedSize?: number;
}

export function writeZip(entries: readonly ZipEntrySpec[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflate ? deflateRawSync(entry.data) : entry.data;
    const method = entry.method ?? (entry.deflate ? 8 : 0);
    const flags = (entry.encryptedFlag ? 0x0001 : 0) | 0x0800; // bit 11: names are UTF-8
    const crc = crc32(entry.data) >>> 0;
    const compressedSize = (entry.declaredCompressedSize ?? body.length) >>> 0;
    const uncompressedSize = (entry.declaredUncompressedSize ?? entry.data.length) >>> 0;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const commentBytes = Buffer.from(comment, 'latin1').subarray(0, 0xffff);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length & 0xffff, 8);
  end.writeUInt16LE(entries.length & 0xffff, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(commentBytes.length, 20);
  return Buffer.concat([...locals, directory, end, commentBytes]);
}
