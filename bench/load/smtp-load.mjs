#!/usr/bin/env node
// SMTP load generator for the relay bench, run as its own process so that the load does not
// share an event loop (or a core's scheduling) with the bench that measures the relays.
//
//   node bench/load/smtp-load.mjs '<json>'
//   { "port": 2525, "clients": 10, "messages": 500, "files": ["a.eml", ...], "from": "...", "to": ["..."] }
//
// Each client keeps one SMTP connection open and sends its share back to back, as a school's
// mail server does to its smarthost; message i is files[i % files.length]. Prints one JSON
// line: { sent, failed, failures, elapsed_ms, latencies_ms }.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';

const job = JSON.parse(process.argv[2]);
const messages = job.files.map((file) => readFileSync(file));
const latencies = [];
const failures = [];

async function client(index) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: job.port,
    secure: false,
    ignoreTLS: true,
    name: 'mail.example-trust.org.uk',
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    socketTimeout: 120_000,
  });
  try {
    for (let i = index; i < job.messages; i += job.clients) {
      const started = performance.now();
      try {
        await transport.sendMail({ envelope: { from: job.from, to: job.to }, raw: messages[i % messages.length] });
        latencies.push(performance.now() - started);
      } catch (error) {
        failures.push(String(error.response ?? error.message).slice(0, 200));
      }
    }
  } finally {
    transport.close();
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: job.clients }, (_, i) => client(i)));
const elapsed = performance.now() - started;
process.stdout.write(`${JSON.stringify({ sent: latencies.length, failed: failures.length, failures: failures.slice(0, 5), elapsed_ms: elapsed, latencies_ms: latencies })}\n`);
