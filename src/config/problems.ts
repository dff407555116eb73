import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { YamlFile } from './yaml-file.js';

/** Records a problem at a key path of a YAML file, with the key's line. */
export type ProblemAt = (key: ReadonlyArray<string | number>, problem: string) => void;

export function problemCollector(file: YamlFile | undefined, name: string, problems: ConfigProblem[]): ProblemAt {
  return (key, problem) => {
    const line = file?.lineOf(key);
    problems.push({ file: name, key: key.join('.'), problem, ...(line ? { line } : {}) });
  };
}

/** Checks a YAML file against its schema; every issue becomes a located ConfigProblem. */
export function validate<S extends z.ZodType>(yaml: YamlFile, schema: S, name: string): z.infer<S> {
  const result = schema.safeParse(yaml.data);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      let problem = issue.message;
      if (issue.code === 'unrecognized_keys') {
        path = [...path, issue.keys[0] ?? ''];
        problem = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''} (check the spelling against docs/configuration.md)`;
      }
      const line = yaml.lineOf(path);
      return { file: name, key: path.join('.'), problem, ...(line ? { line } : {}) };
    }),
  );
}
