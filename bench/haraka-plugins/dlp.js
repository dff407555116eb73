// The real dlp plugin, for the benchmark's relay (plugins/dlp.js is the same bridge).
Object.assign(exports, require('../dist/relay/plugin.js'))
