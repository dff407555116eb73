import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SealedBox, loadOrCreateKey } from '../../src/quarantine/sealed-box.js';

describe('SealedBox', () => {
  const box = new SealedBox(randomBytes(32));
  const message = Buffer.concat([Buffer.from('Subject: Jane Smith – EHCP review\r\n\r\n'), Buffer.of(0, 0xff, 0x80, 0)]);

  it('opens what it sealed, and seals the same thing differently each time', () => {
    const sealed = box.seal(message, 'DLP-AAAAA-00001/raw');
    expect(box.open(sealed, 'DLP-AAAAA-00001/raw')).toEqual(message);
    expect(sealed.length).toBe(1 + 12 + 16 + message.length);
    expect(sealed.includes(Buffer.from('Jane Smith'))).toBe(false);
    expect(box.seal(message, 'DLP-AAAAA-00001/raw')).not.toEqual(sealed);
    expect(box.open(box.seal(Buffer.alloc(0), 'empty'), 'empty')).toEqual(Buffer.alloc(0));
  });

  it('refuses a blob with any byte changed', () => {
    const sealed = box.seal(message, 'DLP-AAAAA-00001/raw');
    for (const index of [0, 5, 20, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index]! ^= 0x01;
      expect(() => box.open(tampered, 'DLP-AAAAA-00001/raw')).toThrow(/cannot open sealed data for DLP-AAAAA-00001\/raw/);
    }
    expect(() => box.open(sealed.subarray(0, 20), 'DLP-AAAAA-00001/raw')).toThrow(/not in a format/);
  });

  it('refuses a blob moved to another row or field', () => {
    const sealed = box.seal(message, 'DLP-AAAAA-00001/raw');
    expect(() => box.open(sealed, 'DLP-AAAAA-00002/raw')).toThrow(/wrong key, or the data was altered/);
    expect(() => box.open(sealed, 'DLP-AAAAA-00001/details')).toThrow(/wrong key, or the data was altered/);
  });

  it('refuses a blob sealed with another key, and names keys apart', () => {
    const other = new SealedBox(randomBytes(32));
    expect(() => other.open(box.seal(message, 'x'), 'x')).toThrow(/wrong key, or the data was altered/);
    expect(other.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(other.keyId).not.toBe(box.keyId);
    expect(() => new SealedBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('loadOrCreateKey', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'dlp-key-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('creates a key readable by its owner only, then reuses it', () => {
    const path = join(directory, 'nested/dir/quarantine.key');
    const first = loadOrCreateKey(path, { create: true });
    expect(first.created).toBe(true);
    expect(first.key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${first.key.toString('base64')}\n`);

    const second = loadOrCreateKey(path, { create: true });
    expect(second).toEqual({ key: first.key, created: false });
    expect(loadOrCreateKey(path, { create: false })).toEqual({ key: first.key, created: false });
  });

  it('reads a key written without a newline', () => {
    const path = join(directory, 'quarantine.key');
    const key = randomBytes(32);
    writeFileSync(path, key.toString('base64'));
    expect(loadOrCreateKey(path, { create: false })).toEqual({ key, created: false });
  });

  it('refuses a missing key file it may not create', () => {
    const path = join(directory, 'quarantine.key');
    expect(() => loadOrCreateKey(path, { create: false })).toThrow(`quarantine key file ${path} does not exist`);
  });

  it('refuses a key file that does not hold a key, naming it', () => {
    const path = join(directory, 'quarantine.key');
    for (const content of ['', 'not a key\n', `${randomBytes(16).toString('base64')}\n`, `${randomBytes(32).toString('hex')}\n`]) {
      writeFileSync(path, content);
      expect(() => loadOrCreateKey(path, { create: true })).toThrow(new RegExp(`quarantine key file ${path} does not hold a key`));
    }
  });
});
