import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures');
export const SHIPPED_CONFIG_DIR = join(REPO_ROOT, 'config');
