import type { Finding, FindingKind, HeaderLine } from '../../engine/types.js';
import type { HeaderMarker } from './markers.js';

/** One finding per evidence id whose header is present (and matches, when the marker has a pattern). */
export function headerFindings(headers: readonly HeaderLine[], markers: readonly HeaderMarker[], kind: FindingKind): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const marker of markers) {
    if (seen.has(marker.id)) continue;
    if (!headers.some((h) => h.name === marker.header && (!marker.value || marker.value.regex.test(h.value)))) continue;
    seen.add(marker.id);
    findings.push({ kind, location: 'headers', evidence: marker.id, excerpt: `${marker.label} header present` });
  }
  return findings;
}
