import RE2 from 're2';

/** Compiles an RE2 pattern, or returns why it is not valid RE2 syntax. RE2 runs in linear time. */
export function compileRe2(source: string, flags: string): RE2 | { error: string } {
  try {
    return new RE2(source, flags);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
