import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type DlpConfig } from '../../src/config/load.js';

export const BASE_DLP_YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
`;

/** Writes dlp.yaml into a fresh temporary config directory and returns its path. */
export function configDirWith(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-config-'));
  writeFileSync(join(dir, 'dlp.yaml'), yaml);
  return dir;
}

/** Loads a real configuration from YAML text, as the relay would. */
export function configFrom(yaml: string = BASE_DLP_YAML): DlpConfig {
  return loadConfig(configDirWith(yaml));
}
