/**
 * Inputs shaped to make a regular expression backtrack, derived from the pattern's own
 * source: long runs of what its repeated atoms accept, stopped just short of a match. On a
 * backtracking engine such inputs take polynomial or exponential time; on RE2 they take time
 * linear in their length. Understands the RE2 syntax the shipped and configured patterns
 * use: literals, escapes (\s \d \w ...), classes, groups, alternation and quantifiers.
 */

interface Atom {
  /** A shortest string the atom matches (a class's first member, a group's first alternative). */
  witness: string;
  min: number;
  /** `*`, `+` or `{m,}`: what a backtracking engine can try in many ways. */
  unbounded: boolean;
}

export type InputShape = 'pumped-near-miss' | 'pumped-then-stop' | 'repeated-prefix';

/** The shapes, each with what it does to a backtracking engine. */
export const INPUT_SHAPES: Record<InputShape, string> = {
  'pumped-near-miss': 'every repeated atom repeated to the length wanted, the last atom left out',
  'pumped-then-stop': 'every repeated atom repeated to the length wanted, then a character nothing in it accepts',
  'repeated-prefix': 'the start of a match, minus its last character, repeated to the length wanted',
};

const ESCAPES: Record<string, string> = { s: ' ', S: 'x', d: '1', D: 'x', w: 'a', W: ' ', t: '\t', n: '\n', r: '\r' };
const ZERO_WIDTH_ESCAPES = new Set(['b', 'B', 'A', 'z']);
// Candidates for a character a negated class accepts.
const CANDIDATES = ['a', 'x', '1', ' ', '-', '<', '.'];

class PatternReader {
  private at = 0;
  constructor(private readonly source: string) {}

  /** The first alternative of the pattern (or of a group, up to its closing parenthesis). */
  sequence(): Atom[] {
    const alternatives: Atom[][] = [[]];
    while (this.at < this.source.length && this.source[this.at] !== ')') {
      if (this.source[this.at] === '|') {
        this.at++;
        alternatives.push([]);
        continue;
      }
      const atom = this.atom();
      if (atom) alternatives.at(-1)!.push(this.quantified(atom));
    }
    return alternatives[0]!;
  }

  private atom(): Atom | undefined {
    const char = this.source[this.at++]!;
    switch (char) {
      case '^':
      case '$':
        return undefined;
      case '.':
        return { witness: 'a', min: 1, unbounded: false };
      case '\\': {
        const escaped = this.source[this.at++]!;
        if (ZERO_WIDTH_ESCAPES.has(escaped)) return undefined;
        return { witness: ESCAPES[escaped] ?? escaped, min: 1, unbounded: false };
      }
      case '[':
        return { witness: this.classWitness(), min: 1, unbounded: false };
      case '(': {
        if (this.source[this.at] === '?') {
          // (?: (?i) (?P<name> (?<name>: skip to the group's body.
          while (this.at < this.source.length && !':)>'.includes(this.source[this.at]!)) this.at++;
          if (this.source[this.at] === ')') {
            this.at++;
            return undefined; // a flag group such as (?i)
          }
          this.at++;
        }
        const inner = this.sequence();
        this.at++; // ')'
        return { witness: witnessOf(inner), min: 1, unbounded: false };
      }
      default:
        return { witness: char, min: 1, unbounded: false };
    }
  }

  private quantified(atom: Atom): Atom {
    const char = this.source[this.at];
    let result = atom;
    if (char === '*' || char === '+' || char === '?') {
      this.at++;
      result = { ...atom, min: char === '+' ? 1 : 0, unbounded: char !== '?' };
    } else if (char === '{') {
      const close = this.source.indexOf('}', this.at);
      const [min, max] = this.source.slice(this.at + 1, close).split(',');
      this.at = close + 1;
      result = { ...atom, min: Number(min), unbounded: max !== undefined && max.trim() === '' };
    } else return atom;
    if (this.source[this.at] === '?') this.at++; // lazy
    return result;
  }

  /** A character the class at `at` (just past its '[') accepts. */
  private classWitness(): string {
    const negated = this.source[this.at] === '^';
    if (negated) this.at++;
    const members: Array<(c: string) => boolean> = [];
    let first = true;
    while (this.at < this.source.length && (first || this.source[this.at] !== ']')) {
      first = false;
      let char = this.source[this.at++]!;
      if (char === '\\') {
        const escaped = this.source[this.at++]!;
        const stands = ESCAPES[escaped];
        if (stands !== undefined && /[sSdDwW]/.test(escaped)) {
          const probe = new RegExp(`\\${escaped}`);
          members.push((c) => probe.test(c));
          continue;
        }
        char = stands ?? escaped;
      }
      if (this.source[this.at] === '-' && this.source[this.at + 1] !== ']') {
        let end = this.source[this.at + 1]!;
        this.at += 2;
        if (end === '\\') end = this.source[this.at++]!;
        const low = char;
        members.push((c) => c >= low && c <= end);
      } else {
        const member = char;
        members.push((c) => c.toLowerCase() === member.toLowerCase());
      }
    }
    this.at++; // ']'
    const accepts = (c: string): boolean => members.some((member) => member(c)) !== negated;
    if (!negated) {
      const firstAccepted = [...CANDIDATES, ...'abcdefghijklmnopqrstuvwxyz0123456789'].find(accepts);
      if (firstAccepted) return firstAccepted;
    }
    return CANDIDATES.find(accepts) ?? 'a';
  }
}

function witnessOf(atoms: readonly Atom[]): string {
  return atoms.map((a) => a.witness.repeat(Math.max(a.min, 1))).join('');
}

/** Each repeated atom repeated so that the whole is about `length` characters. */
function pumped(atoms: readonly Atom[], length: number): string {
  const repeated = atoms.filter((a) => a.unbounded);
  const fixed = atoms.filter((a) => !a.unbounded).reduce((sum, a) => sum + a.witness.length * Math.max(a.min, 1), 0);
  const share = Math.max(1, Math.floor((length - fixed) / Math.max(1, repeated.length)));
  return atoms.map((a) => (a.unbounded ? a.witness.repeat(Math.max(1, Math.ceil(share / a.witness.length))) : a.witness.repeat(Math.max(a.min, 1)))).join('');
}

/** A character a pattern's repeated atoms never accept here: ends a run so that it cannot match. */
const STOP = '\u0001';

/** A pathological input of about `length` characters for `source`, of the given shape ('' when the shape does not apply). */
export function pathologicalInput(source: string, shape: InputShape, length: number): string {
  const atoms = new PatternReader(source).sequence();
  const repeats = atoms.some((a) => a.unbounded);
  switch (shape) {
    case 'pumped-near-miss':
      return repeats && atoms.length > 1 ? pumped(atoms.slice(0, -1), length) : '';
    case 'pumped-then-stop':
      return repeats ? `${pumped(atoms, length)}${STOP}` : '';
    case 'repeated-prefix': {
      const prefix = witnessOf(atoms).slice(0, -1) || witnessOf(atoms);
      return prefix.repeat(Math.ceil(length / prefix.length)).slice(0, length);
    }
  }
}

/** The shapes that give a non-empty input for `source`. */
export function shapesFor(source: string): InputShape[] {
  return (Object.keys(INPUT_SHAPES) as InputShape[]).filter((shape) => pathologicalInput(source, shape, 8) !== '');
}
