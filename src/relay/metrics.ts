/**
 * The relay's metrics in Prometheus' text format (prom-client): what was decided, how long
 * inspection took, what was turned away, and the state of the queue, the outbox and the
 * inspection processes. Labels are outcomes, rule ids and reasons: never an address, a
 * subject or a name.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Verdict } from '../engine/types.js';

/** What the metrics read when Prometheus asks (each may be unavailable: then the gauge is left out). */
export interface MetricsSources {
  inspection(): { processes: number; busy: number; waiting: number } | undefined;
  held(): Promise<{ held: number; overdue: number } | undefined>;
  outbox(): Promise<{ pending: number; failed: number } | undefined>;
  certificateExpiry(): Date | undefined;
  rosterExportedAt(): Date | undefined;
}

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'outcome'>;
  private readonly rulesFired: Counter<'rule' | 'action'>;
  private readonly inspectionSeconds: Histogram;
  private readonly answerSeconds: Histogram;
  private readonly temporaryFailures: Counter<'reason'>;
  private readonly refusedClients: Counter<'reason'>;
  /** When a message last waited too long for an inspection process (the health check reads it). */
  lastBusyAt: number | undefined;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.messages = new Counter({
      name: 'dlp_messages_total',
      help: 'Messages answered, by outcome (pass, warn, hold, reject, monitor-*, tempfail-*, refuse-*)',
      labelNames: ['outcome'],
      registers,
    });
    this.rulesFired = new Counter({ name: 'dlp_rules_fired_total', help: 'Rules that fired, by rule id and its action', labelNames: ['rule', 'action'], registers });
    this.inspectionSeconds = new Histogram({
      name: 'dlp_inspection_duration_seconds',
      help: 'Time an inspection process took to parse and check a message',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      registers,
    });
    this.answerSeconds = new Histogram({
      name: 'dlp_answer_duration_seconds',
      help: "Time from the end of DATA to the relay's answer (waiting for a process, inspecting, storing a hold)",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers,
    });
    this.temporaryFailures = new Counter({
      name: 'dlp_temporary_failures_total',
      help: '4xx answers after DATA, by reason (busy, timeout, error, quarantine, source, stopping)',
      labelNames: ['reason'],
      registers,
    });
    this.refusedClients = new Counter({
      name: 'dlp_relay_refused_total',
      help: 'RCPT TO refused to clients that are not a configured source, by reason (not-a-source, tls-required, certificate)',
      labelNames: ['reason'],
      registers,
    });
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void> | void): void => {
      new Gauge({ name, help, labelNames, registers, collect() { return collect(this); } });
    };
    gauge('dlp_inspection_processes', 'Inspection processes, by state', ['state'], (g) => {
      const stats = sources.inspection();
      if (!stats) return;
      g.set({ state: 'busy' }, stats.busy);
      g.set({ state: 'idle' }, Math.max(0, stats.processes - stats.busy));
    });
    gauge('dlp_inspection_waiting', 'Messages waiting for an inspection process', [], (g) => {
      const stats = sources.inspection();
      if (stats) g.set(stats.waiting);
    });
    gauge('dlp_held_messages', 'Messages held for review', ['overdue'], async (g) => {
      const held = await sources.held();
      if (!held) return;
      g.set({ overdue: 'false' }, held.held - held.overdue);
      g.set({ overdue: 'true' }, held.overdue);
    });
    gauge('dlp_outbox_messages', "The relay's own emails (guidance, reminders) in the outbox, by state", ['state'], async (g) => {
      const outbox = await sources.outbox();
      if (!outbox) return;
      g.set({ state: 'pending' }, outbox.pending);
      g.set({ state: 'failed' }, outbox.failed);
    });
    gauge('dlp_tls_certificate_expiry_timestamp_seconds', "When the relay's TLS certificate expires (Unix time)", [], (g) => {
      const expiry = sources.certificateExpiry();
      if (expiry) g.set(expiry.getTime() / 1000);
    });
    gauge('dlp_roster_export_timestamp_seconds', 'When the roster in force was written (Unix time)', [], (g) => {
      const exported = sources.rosterExportedAt();
      if (exported) g.set(exported.getTime() / 1000);
    });
  }

  /** One message answered after DATA: its outcome label (as in the log line) and its verdict, if it was inspected. */
  answered(outcome: string, verdict: Verdict | undefined, elapsedMs: number): void {
    this.messages.inc({ outcome });
    this.answerSeconds.observe(elapsedMs / 1000);
    if (outcome.startsWith('tempfail-')) {
      const reason = outcome.slice('tempfail-'.length);
      this.temporaryFailures.inc({ reason });
      if (reason === 'busy') this.lastBusyAt = Date.now();
    }
    if (!verdict) return;
    this.inspectionSeconds.observe(verdict.timings.totalMs / 1000);
    for (const rule of verdict.rules) this.rulesFired.inc({ rule: rule.id, action: rule.action });
  }

  clientRefused(reason: string): void {
    this.refusedClients.inc({ reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
