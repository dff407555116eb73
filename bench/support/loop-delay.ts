import type { HarakaRelay } from '../../test/support/haraka-relay.js';

/**
 * Haraka's event-loop delay as bench/haraka-plugins/loop-delay.js logs it once a second,
 * from the relay's output after `from` (a length of `relay.output`).
 */
export function loopDelaySince(relay: HarakaRelay, from = 0): { worstP99: number; max: number; seconds: number } {
  const delays = [...relay.output.slice(from).matchAll(/loop-delay (\{[^}]*\})/g)].map((m) => JSON.parse(m[1]!) as { p99: number; max: number });
  if (delays.length === 0) return { worstP99: 0, max: 0, seconds: 0 };
  return { worstP99: Math.max(...delays.map((d) => d.p99)), max: Math.max(...delays.map((d) => d.max)), seconds: delays.length };
}
