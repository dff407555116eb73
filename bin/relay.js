#!/usr/bin/env node
// Starts the relay (src/relay/launch.ts): node bin/relay.js [--config DIR] [--data DIR] [--check]
import { launch } from '../dist/relay/launch.js';

await launch(process.argv.slice(2));
