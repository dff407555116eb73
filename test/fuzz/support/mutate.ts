/**
 * Byte-level mutation of seed files, as a fast-check arbitrary: bit flips, byte sets,
 * inserts (of random bytes or of tokens the format gives meaning to), deletes, duplicated
 * ranges, splices from another seed, truncation and long repeated runs. The arbitrary yields
 * the recipe, not the bytes, so that fast-check shrinks it towards fewer, smaller mutations.
 */
import fc from 'fast-check';

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'insert-token'; at: number; token: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'splice'; at: number; donor: number; from: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'repeat'; at: number; token: number; times: number };

export interface MutatedInput {
  seed: number;
  mutations: Mutation[];
}

/**
 * The largest input a recipe makes by default: past it, inserts are dropped. Big enough for
 * superlinear work to blow the per-input budget, small enough that linear work does not
 * (Intl.Segmenter reads non-Latin text at about 1.5 µs a character, twice over).
 */
export const DEFAULT_MAX_MUTATED_BYTES = 256 * 1024;

const position = fc.nat();

export function mutationArbitrary(tokenCount: number, seedCount: number): fc.Arbitrary<Mutation> {
  const token = fc.nat({ max: Math.max(0, tokenCount - 1) });
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('set' as const), at: position, value: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x20, 0x3d, 0x2d) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('insert-token' as const), at: position, token }), weight: 3 },
    { arbitrary: fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 512 }) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 2048 }), to: position }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('splice' as const), at: position, donor: fc.nat({ max: seedCount - 1 }), from: position, length: fc.integer({ min: 1, max: 4096 }) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('repeat' as const), at: position, token, times: fc.integer({ min: 2, max: 100_000 }) }), weight: 1 },
  );
}

export function mutatedInputArbitrary(seedCount: number, tokenCount: number, maxMutations = 6): fc.Arbitrary<MutatedInput> {
  return fc.record({
    seed: fc.nat({ max: seedCount - 1 }),
    mutations: fc.array(mutationArbitrary(tokenCount, seedCount), { minLength: 1, maxLength: maxMutations }),
  });
}

/** The bytes a recipe makes of its seed; `tokens` are the format's meaningful byte strings. */
export function applyMutations(input: MutatedInput, seeds: readonly Buffer[], tokens: readonly Buffer[], maxBytes = DEFAULT_MAX_MUTATED_BYTES): Buffer {
  let bytes = Buffer.from(seeds[input.seed]!);
  const at = (n: number, length = bytes.length): number => (length === 0 ? 0 : n % (length + 1));
  const insert = (offset: number, added: Buffer): void => {
    if (bytes.length + added.length > maxBytes) return;
    bytes = Buffer.concat([bytes.subarray(0, offset), added, bytes.subarray(offset)]);
  };
  for (const mutation of input.mutations) {
    switch (mutation.op) {
      case 'flip':
        if (bytes.length > 0) bytes[mutation.at % bytes.length]! ^= 1 << mutation.bit;
        break;
      case 'set':
        if (bytes.length > 0) bytes[mutation.at % bytes.length] = mutation.value;
        break;
      case 'insert':
        insert(at(mutation.at), Buffer.from(mutation.bytes));
        break;
      case 'insert-token':
        insert(at(mutation.at), tokens[mutation.token % tokens.length] ?? Buffer.alloc(0));
        break;
      case 'delete': {
        const start = at(mutation.at);
        bytes = Buffer.concat([bytes.subarray(0, start), bytes.subarray(start + mutation.length)]);
        break;
      }
      case 'duplicate': {
        const start = at(mutation.at);
        insert(at(mutation.to), Buffer.from(bytes.subarray(start, start + mutation.length)));
        break;
      }
      case 'splice': {
        const donor = seeds[mutation.donor % seeds.length]!;
        const from = at(mutation.from, donor.length);
        insert(at(mutation.at), Buffer.from(donor.subarray(from, from + mutation.length)));
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, at(mutation.at));
        break;
      case 'repeat': {
        const token = tokens[mutation.token % tokens.length] ?? Buffer.from('A');
        insert(at(mutation.at), Buffer.alloc(Math.min(token.length * mutation.times, maxBytes / 2), token));
        break;
      }
    }
  }
  return bytes;
}

/** "seed name + 3 mutations (flip, repeat×5000...)", for the slowest-input line. */
export function describeMutated(input: MutatedInput, seedNames: readonly string[], size: number): string {
  const ops = input.mutations.map((m) => (m.op === 'repeat' ? `repeat×${m.times}` : m.op)).join(', ');
  return `${seedNames[input.seed]} + [${ops}], ${size} bytes`;
}

export const tokens = (...texts: Array<string | Buffer>): Buffer[] => texts.map((t) => (typeof t === 'string' ? Buffer.from(t, 'latin1') : t));
