export type { CompiledPattern, ForwardingPatterns, HeaderBlockField, HeaderMarker } from '../../config/settings.js';
