import RE2 from 're2';

/** A user-configurable pattern, compiled with RE2 so that no pattern can backtrack catastrophically. */
export interface CompiledPattern {
  id: string;
  source: string;
  regex: RE2;
}

/** Compiles an RE2 pattern, or returns the reason it is not valid RE2 syntax. */
export function compileRe2(source: string, flags: string): RE2 | { error: string } {
  try {
    return new RE2(source, flags);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
