/**
 * The configuration the relay runs with: dlp.yaml validated by the config layer, plus the
 * checks that need the layers above it (templates that compile and render). Anything wrong
 * stops start-up, or keeps the previous configuration on a reload, naming file and key.
 */
import { loadConfig, type DlpConfig, type LoadConfigOptions } from '../config/load.js';
import { checkNoticeTemplates } from '../notify/templates.js';

export function loadRelayConfig(configDir: string, options: LoadConfigOptions = {}): DlpConfig {
  const config = loadConfig(configDir, options);
  checkNoticeTemplates(config);
  return config;
}
