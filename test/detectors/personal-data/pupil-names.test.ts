import { describe, expect, it } from 'vitest';
import { PupilNameIndex } from '../../../src/detectors/personal-data/pupil-names.js';
import type { RosterPupil } from '../../../src/roster/load-roster.js';
import { foldText } from '../../../src/text/fold.js';
import { configFrom } from '../../support/config.js';

const COMMON_WORDS = configFrom().personalData.commonWords;
const pupil = (id: string, forenames: string[], surnames: string[], extra: Partial<RosterPupil> = {}): RosterPupil => ({
  id,
  forenames,
  surnames,
  contacts: [],
  ...extra,
});
const index = new PupilNameIndex(
  [
    pupil('jane', ['Jane'], ['Smith']),
    pupil('zoe', ['Zoë'], ['O’Connor']),
    pupil('mo', ['Mohammed'], ['Al-Hassan']),
    pupil('grace', ['Grace'], ['Hall']),
    pupil('summer', ['Summer'], ['Day']),
    pupil('ollie', ['Oliver', 'Ollie'], ['Brown-Whitfield', 'Whitfield']),
    pupil('maryann', ['Mary'], ['Jones'], { middleNames: 'Ann' }),
    pupil('ann', ['Ann'], ['Jones']),
  ],
  COMMON_WORDS,
);
const found = (text: string): string[] => index.find(foldText(text)).flatMap((hit) => hit.pupils);

describe('pupil names', () => {
  it.each([
    ['Jane Smith did well today', 'plain'],
    ['JANE SMITH', 'capitals'],
    ['jane smith', 'lower case'],
    ['Smith, Jane', 'register order'],
    ["Jane Smith's report", 'possessive'],
    ['Jane\nSmith', 'across a line break'],
    ['> Jane\n> Smith', 'across quoted lines'],
    ['Jane  \t Smith.', 'extra white space, full stop'],
  ])('finds "%s" (%s)', (text) => expect(found(text)).toEqual(['jane']));

  it.each([
    ["Zoe O'Connor", 'plain apostrophe, no accent'],
    ['Zoë O’Connor', 'as on the roster'],
    ['ZOË OCONNOR', 'no apostrophe'],
    ['Zoe\u0308 O\u2019Connor', 'decomposed accent'],
    ["O'Connor, Zoe", 'register order'],
  ])('folds accents and apostrophes: "%s" (%s)', (text) => expect(found(text)).toEqual(['zoe']));

  it('finds hyphenated names with or without the hyphen, and preferred names', () => {
    expect(found('Mohammed Al-Hassan')).toEqual(['mo']);
    expect(found('Mohammed Al Hassan')).toEqual(['mo']);
    expect(found('Ollie Whitfield and Oliver Brown-Whitfield')).toEqual(['ollie', 'ollie']);
  });

  it('ends a name at a dash or a hyphen, unless a longer roster name goes on', () => {
    expect(found('Jane Smith\u2014see attached')).toEqual(['jane']);
    expect(found('Jane Smith\u2013Year 5 report')).toEqual(['jane']);
    expect(found('Re: Jane Smith-EHCP review')).toEqual(['jane']);
    expect(found('Oliver Brown-Whitfield')).toEqual(['ollie']);
  });

  it('takes the longest name where one contains another', () => {
    expect(found('Mary Ann Jones')).toEqual(['maryann']);
    expect(found('Ann Jones')).toEqual(['ann']);
  });

  it.each([
    ['Jane is in year 5', 'forename only'],
    ['Mrs Smith called', 'surname only'],
    ['Jane Smithson', 'longer surname'],
    ['Janet Smith', 'longer forename'],

    ['Jane. Smith', 'split by a sentence'],
    ['J. Smith', 'initial only'],
  ])('does not find "%s" (%s)', (text) => expect(found(text)).toEqual([]));

  it('matches names made of ordinary words only when written as a name', () => {
    expect(found('Grace Hall has been chosen')).toEqual(['grace']);
    expect(found('GRACE HALL')).toEqual(['grace']);
    expect(found('Summer Day')).toEqual(['summer']);
    expect(found('we said grace in the hall')).toEqual([]);
    expect(found('say grace hall then lunch')).toEqual([]);
    expect(found('a lovely summer day out')).toEqual([]);
    expect(found('Summer day trip to the coast')).toEqual([]);
  });

  it('redacts the excerpt as written', () => {
    const [hit] = index.find(foldText('Re: Zoë O’Connor’s reading'));
    expect(hit?.excerpt).toBe('Z** O*******');
  });

  it('reports every pupil who shares a name', () => {
    const twins = new PupilNameIndex([pupil('a', ['Sam'], ['Lee']), pupil('b', ['Sam'], ['Lee'])], COMMON_WORDS);
    expect(twins.find(foldText('Sam Lee'))[0]?.pupils).toEqual(['a', 'b']);
  });
});
