/** A generated trust roster for the benches: SIMS-shaped rows with common names, deterministic for a given size. */
import { upnCheckLetter } from '../../src/identifiers/checks.js';

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
  return upnCheckLetter(body)! + body;
}

/** A trust-sized roster: `pupils` rows in SIMS shape, with preferred names, double-barrelled surnames and parent addresses. */
export function rosterCsv(pupils: number): string {
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
