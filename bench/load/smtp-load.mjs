#!/usr/bin/env node
// SMTP load generator for the relay bench, run as its own process so that the load does not
// share an event loop (or a core's scheduling) with the bench that measures the relays.
//
//   node bench/load/smtp-load.mjs '<json>'
//   { "port": 2525, "clients": 10, "messages": 500, "files": ["a.eml", ...], "from": "...", "to": ["..."] }
// Optional: "localAddress" (connect from it), "tls": { "ca": PEM, "servername": name } (STARTTLS,
// required), "connectionPerMessage": true (a new connection, and TLS handshake, for every
// message), "dkim": { "domain", "selector", "privateKey": PEM } (each message gets a unique
// Message-ID and a fresh DKIM signature, as Gmail signs each message it sends).
//
// Each client keeps one SMTP connection open and sends its share back to back, as a school's
// mail server does to its smarthost; message i is files[i % files.length]. Prints one JSON
// line: { sent, failed, failures, elapsed_ms, latencies_ms }.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
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
    ...(job.connectionPerMessage ? { pool: false } : { pool: true, maxConnections: 1, maxMessages: Infinity }),
    socketTimeout: 120_000,
    ...(job.localAddress ? { localAddress: job.localAddress } : {}),
    ...(job.tls ? { ignoreTLS: false, requireTLS: true, tls: { ca: [job.tls.ca], servername: job.tls.servername } } : {}),
  });
  try {
    for (let i = index; i < job.messages; i += job.clients) {
      const raw = job.dkim ? await signed(messages[i % messages.length], i) : messages[i % messages.length];
      const started = performance.now();
      try {
        await transport.sendMail({ envelope: { from: job.from, to: job.to }, raw });
        latencies.push(performance.now() - started);
      } catch (error) {
        failures.push(String(error.response ?? error.message).slice(0, 200));
      }
    }
  } finally {
    transport.close();
  }
}

/** The message with a Message-ID of its own and a DKIM signature made now. */
async function signed(message, i) {
  const unique = Buffer.from(message.toString('latin1').replace(/^Message-ID:.*$/im, `Message-ID: <bench-${process.pid}-${i}-${Date.now()}@${job.dkim.domain}>`), 'latin1');
  const signatureData = [{ signingDomain: job.dkim.domain, selector: job.dkim.selector, privateKey: job.dkim.privateKey }];
  const { signatures } = await dkimSign(unique, { signatureData, canonicalization: 'relaxed/relaxed', signTime: new Date() });
  return Buffer.concat([Buffer.from(signatures), unique]);
}

const started = performance.now();
await Promise.all(Array.from({ length: job.clients }, (_, i) => client(i)));
const elapsed = performance.now() - started;
process.stdout.write(`${JSON.stringify({ sent: latencies.length, failed: failures.length, failures: failures.slice(0, 5), elapsed_ms: elapsed, latencies_ms: latencies })}\n`);
