/**
 * Roster size against cost: loading a 2,000- and a 20,000-pupil roster (CSV read, then the
 * name automaton built), and the engine's time for the same typical messages with each.
 * The scan-time ratio should stay near 1: matching must not grow with the roster.
 * Prints a table and writes bench/results/roster.json. Run with `npm run bench`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { InspectionEngine } from '../src/engine/inspect.js';
import { loadRosterFiles } from '../src/roster/load-roster.js';
import { Roster } from '../src/roster/roster.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { crlf } from '../test/support/send.js';

const ITERATIONS = Number(process.env['BENCH_SCANS'] ?? 300);
const STAFF = 's.jones@example-trust.org.uk';

// Common forenames and surnames in England and Wales (ONS lists), so that names collide as they do in a real trust.
const FORENAMES = 'Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Charlie Lily Leo Isabella Jacob Rosie Freddie Sophia Alfie Grace Archie Freya Theo Willow Oscar Olivia Arthur Emily Thomas Poppy Henry Ella Joshua Evie Muhammad Sophie William Daisy James Millie Lucas Florence Ethan Harper Isaac Matilda Finley Phoebe Teddy Ruby Max Sienna Logan Evelyn Alexander Jessica Mason Luna Daniel Elsie Adam Ada Reggie Layla Toby Bonnie Harrison Aria Zachary Scarlett Sebastian Maya Ronnie Alice Hugo Thea Albie Penelope Rory Zara Louie Eliza Jude Hallie Ezra Iris Elijah Summer Tommy Aisha Jaxon Hannah Frankie Amara Ibrahim Nancy Yusuf Maryam Dylan Orla'.split(' ');
const SURNAMES = 'Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O’Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O’Connor Harper Coleman Watkins Moss McCarthy Chambers Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norman Middleton Lawson Banks French Stanley Jarvis Gibbs Ferguson Hayward Carroll Douglas Hicks Dale Jamieson'.split(' ');

/** A deterministic pseudo-random sequence, so both rosters and every run are alike. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function upn(la: number, estab: number, serial: number): string {
  const body = `${String(la).padStart(3, '0')}${String(estab).padStart(4, '0')}25${String(serial % 1000).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i + 2);
  return 'ABCDEFGHJKLMNPQRTUVWXYZ'[sum % 23] + body;
}

/** A trust-sized roster: `pupils` rows in SIMS shape, with preferred names, double-barrelled surnames and parent addresses. */
function rosterCsv(pupils: number): string {
  const next = random(pupils);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  // The two pupils the typical letter names are on every roster.
  const rows = [
    'UPN,Legal Forename,Preferred Forename,Legal Surname,Date of Birth,Year,Contact Emails',
    `${upn(800, 2000, 1)},Oliver,,Smith,02/03/2016,Year 5,oliver.smith.parent@gmail.com`,
    `${upn(800, 2000, 2)},Amelia,,Jones,14/07/2015,Year 5,amelia.jones.parent@gmail.com`,
  ];
  for (let i = 2; i < pupils; i++) {
    const forename = pick(FORENAMES);
    const surname = next() < 0.1 ? `${pick(SURNAMES)}-${pick(SURNAMES)}` : pick(SURNAMES);
    const preferred = next() < 0.05 ? pick(FORENAMES) : '';
    const dob = `${String(1 + Math.floor(next() * 28)).padStart(2, '0')}/${String(1 + Math.floor(next() * 12)).padStart(2, '0')}/${2010 + Math.floor(next() * 12)}`;
    const contact = `${forename}.${surname}${i}@gmail.com`.toLowerCase().replace(/[’-]/g, '');
    rows.push(`${upn(800 + (i % 30), 2000 + (i % 30), i)},${forename},${preferred},${surname},${dob},Year ${1 + (i % 11)},${contact}`);
  }
  return `${rows.join('\n')}\n`;
}

function typicalMessages(): Array<{ name: string; raw: Buffer }> {
  const letter = `Dear Mrs Patel,

Thank you for your email about the Year 5 trip. I have spoken to Oliver Smith's class teacher
and Amelia Jones will sit with her friends on the coach. The coach leaves at 8.45 on Thursday
and returns by 3.30. Please make sure packed lunches are labelled.

Kind regards,
Sarah Jones
Year 5 lead, Riverside Primary`;
  const newsletter = Array.from({ length: 300 }, (_, i) => `<p>Item ${i}: the <b>Year ${(i % 6) + 1}</b> class assembly, with thanks to our volunteers and the PTA.</p>`).join('\n');
  const message = (subject: string, type: string, body: string): Buffer =>
    crlf(`From: ${STAFF}\nTo: parent@example.com\nSubject: ${subject}\nMIME-Version: 1.0\nContent-Type: ${type}; charset=utf-8\n\n${body}\n`);
  return [
    { name: 'letter naming two pupils', raw: message('Year 5 trip', 'text/plain', letter) },
    { name: 'short note, no pupils', raw: message('Coach times', 'text/plain', 'We leave at 8.45 on Thursday.') },
    { name: 'HTML newsletter (29 KB)', raw: message('Newsletter', 'text/html', `<html><body>${newsletter}</body></html>`) },
  ];
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 100) / 100;
}
function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! * 100) / 100;
}

it('roster load and scan time, 2,000 vs 20,000 pupils', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-roster-'));
  writeFileSync(join(dir, 'dlp.yaml'), 'organisation:\n  name: Bench Trust\n  internal_domains: [example-trust.org.uk]\nroster:\n  file: roster.csv\n');
  const config = loadConfig(dir);
  const columns: Record<string, Record<string, number>> = {};

  // A throwaway first round, so that neither measured roster pays for the JIT warming up.
  for (const pupils of [500, 2_000, 20_000]) {
    const file = join(dir, `roster-${pupils}.csv`);
    writeFileSync(file, rosterCsv(pupils));
    const t0 = performance.now();
    const data = loadRosterFiles([file]);
    const t1 = performance.now();
    const roster = new Roster(data.pupils, config.personalData.commonWords);
    const t2 = performance.now();
    const engine = new InspectionEngine(config, { roster });
    const column: Record<string, number> = {
      'CSV read ms': Math.round(t1 - t0),
      'name automaton build ms': Math.round(t2 - t1),
      'roster load total ms': Math.round(performance.now() - t0),
      'name patterns': roster.names.patternCount,
    };
    for (const { name, raw } of typicalMessages()) {
      const envelope = { mailFrom: STAFF, rcptTo: ['parent@gmail.com'] };
      for (let i = 0; i < 20; i++) await engine.inspect(raw, envelope); // warm up
      const samples: number[] = [];
      let names = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const started = performance.now();
        const verdict = await engine.inspect(raw, envelope);
        samples.push(performance.now() - started);
        names = verdict.findings.filter((f) => f.kind === 'pupil-name').length;
      }
      column[`${name}: median ms`] = median(samples);
      column[`${name}: p99 ms`] = p99(samples);
      column[`${name}: pupil names found`] = names;
    }
    if (pupils !== 500) columns[`${pupils.toLocaleString('en-GB')} pupils`] = column;
  }
  const small = columns['2,000 pupils']!;
  const large = columns['20,000 pupils']!;
  const results: Record<string, Record<string, number>> = {};
  for (const metric of Object.keys(small)) {
    results[metric] = { '2,000 pupils': small[metric]!, '20,000 pupils': large[metric]!, ratio: small[metric] ? Math.round((large[metric]! / small[metric]!) * 100) / 100 : 1 };
  }

  console.table(results);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/roster.json'), `${JSON.stringify({ node: process.version, iterations: ITERATIONS, results }, null, 2)}\n`);
});
