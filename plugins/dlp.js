// Haraka loads this file in a sandbox; the plugin itself is compiled TypeScript (src/relay/plugin.ts).
Object.assign(exports, require('../dist/relay/plugin.js'))
