/** One thing wrong with a configuration file, located as precisely as we can. */
export interface ConfigProblem {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** Dotted key path (`rules.forward-to-personal-address.action`), or '' for the whole file. */
  key: string;
  problem: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  return p.key ? `${where}: ${p.key}: ${p.problem}` : `${where}: ${p.problem}`;
}

/** The configuration cannot be used. The relay refuses to start rather than run with a guess. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    options?: ErrorOptions,
  ) {
    super(
      problems.length === 1
        ? `invalid configuration: ${formatProblem(problems[0]!)}`
        : `invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
      options,
    );
  }
}
