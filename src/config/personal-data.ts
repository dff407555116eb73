import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { validate, type ProblemAt } from './problems.js';
import { specialCategorySchema, type DlpConfigFile } from './schema.js';
import type { SpecialCategoryTerm } from './settings.js';
import { readYamlFile } from './yaml-file.js';

export interface PersonalDataSettings {
  proximityChars: number;
  specialCategory: SpecialCategoryTerm[];
  /** Ordinary English words: a name made only of these must be written with capitals to match. */
  commonWords: ReadonlySet<string>;
}

export const SPECIAL_CATEGORY_FILE = 'special-category.yaml';
export const COMMON_WORDS_FILE = 'common-words.txt';

/** The shipped dictionary with the trust's additions and removals applied. */
export function buildPersonalDataSettings(file: DlpConfigFile, rulesDir: string, at: ProblemAt, displayPath: (path: string) => string): PersonalDataSettings {
  const dictionaryPath = join(rulesDir, SPECIAL_CATEGORY_FILE);
  const shipped = validate(readYamlFile(dictionaryPath, displayPath(dictionaryPath)), specialCategorySchema, displayPath(dictionaryPath));
  const { extra_terms: extra = {}, ignore_terms: ignore = [] } = file.personal_data.special_category;

  const shippedTerms = new Set(Object.values(shipped).flat().map((t) => t.toLowerCase()));
  ignore.forEach((term, i) => {
    if (!shippedTerms.has(term.toLowerCase())) {
      at(['personal_data', 'special_category', 'ignore_terms', i], `"${term}" is not a term in rules/${SPECIAL_CATEGORY_FILE}`);
    }
  });
  const ignored = new Set(ignore.map((t) => t.toLowerCase()));
  const terms: SpecialCategoryTerm[] = [];
  for (const [category, list] of [...Object.entries(shipped), ...Object.entries(extra)]) {
    for (const term of list) if (!ignored.has(term.toLowerCase())) terms.push({ category, term });
  }
  return { proximityChars: file.personal_data.proximity_chars, specialCategory: terms, commonWords: readCommonWords(join(rulesDir, COMMON_WORDS_FILE), displayPath) };
}

function readCommonWords(path: string, displayPath: (path: string) => string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ file: displayPath(path), key: '', problem: 'file not found or not readable' }], { cause });
  }
  const words = new Set<string>();
  for (const line of text.split('\n')) {
    const word = line.trim().toLowerCase();
    if (word && !word.startsWith('#')) words.add(word);
  }
  return words;
}
