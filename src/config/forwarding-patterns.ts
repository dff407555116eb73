import type { ProblemAt } from './problems.js';
import { compileRe2 } from './re2.js';
import type { DlpConfigFile, ForwardingMarkersFile } from './schema.js';
import type { CompiledPattern, ForwardingPatterns, HeaderMarker } from './settings.js';

interface PatternEntry {
  id: string;
  label?: string | undefined;
  pattern: string;
}

/** Compiles rules/forwarding.yaml plus the trust's additions; every pattern on RE2, case-insensitive. */
export function compileForwardingPatterns(markers: ForwardingMarkersFile, file: DlpConfigFile, at: ProblemAt, shippedAt: ProblemAt): ForwardingPatterns {
  const compile = (entries: readonly PatternEntry[], report: (index: number, problem: string) => void): CompiledPattern[] =>
    entries.flatMap((entry, i) => {
      const regex = compileRe2(entry.pattern, 'i');
      if ('error' in regex) {
        report(i, `pattern ${JSON.stringify(entry.pattern)} is not valid RE2 syntax: ${regex.error}`);
        return [];
      }
      return [{ id: entry.id, label: entry.label ?? `forwarded-mail marker "${entry.id}"`, source: entry.pattern, regex }];
    });
  const shipped = (key: string) => (i: number, problem: string) => shippedAt([key, i, 'pattern'], problem);
  const headerMarkers = (entries: ForwardingMarkersFile['forward_headers'], key: string): HeaderMarker[] =>
    entries.map((entry, i) => {
      const [value] = entry.pattern ? compile([{ id: entry.id, pattern: entry.pattern }], (_, problem) => shipped(key)(i, problem)) : [];
      return { id: entry.id, header: entry.header.toLowerCase(), label: entry.header, ...(value ? { value } : {}) };
    });
  const upper = (words: readonly string[]) => new Set(words.map((w) => w.toUpperCase()));
  const extra = file.forwarding;

  return {
    forwardPrefixes: upper([...markers.subject_prefixes.forward, ...(extra.extra_subject_prefixes?.forward ?? [])]),
    replyPrefixes: upper([...markers.subject_prefixes.reply, ...(extra.extra_subject_prefixes?.reply ?? [])]),
    separators: [
      ...compile(markers.separators, shipped('separators')),
      ...compile(extra.extra_separators ?? [], (i, problem) => at(['forwarding', 'extra_separators', i, 'pattern'], problem)),
    ],
    quoteSeparators: compile(markers.quote_separators, shipped('quote_separators')),
    htmlMarkers: compile(markers.html_markers, shipped('html_markers')),
    headerBlockFields: markers.header_block_fields,
    forwardHeaders: headerMarkers(markers.forward_headers, 'forward_headers'),
    autoForwardHeaders: headerMarkers(markers.auto_forward_headers, 'auto_forward_headers'),
    autoForwardEnvelopeSenders: compile(markers.auto_forward_envelope_senders, shipped('auto_forward_envelope_senders')),
  };
}
