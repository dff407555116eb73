import { describe, expect, it } from 'vitest';
import { findIdentifiers } from '../../../src/detectors/personal-data/identifiers.js';

const found = (text: string): string[] => findIdentifiers(text).map((hit) => `${hit.kind}:${hit.compact}`);

describe('identifiers in text', () => {
  it.each([
    ['UPN: H801200001001', 'upn:H801200001001'],
    ['upn h801200001001.', 'upn:H801200001001'],
    ['temporary UPN G80120000101A issued', 'upn:G80120000101A'],
    ['ULN 9276308686', 'uln:9276308686'],
    ['unique learner number is 1000102504', 'uln:1000102504'],
    ['NHS number 9434765919', 'nhs-number:9434765919'],
    ['NHS no: 943 476 5919', 'nhs-number:9434765919'],
    ['her number is 943 476 5919 I think', 'nhs-number:9434765919'],
    ['NI number AB 12 34 56 C', 'ni-number:AB123456C'],
    ['JG103759A', 'ni-number:JG103759A'],
    ['national insurance no. ab123456c', 'ni-number:AB123456C'],
  ])('finds %j', (text, expected) => expect(found(text)).toEqual([expected]));

  it.each([
    ['UPN A801200005001', 'UPN with the wrong check letter'],
    ['Q207000016049', "vendor example with the wrong check letter"],
    ['H801200001001@riverside.sch.uk', 'a Microsoft 365 user principal name'],
    ['order 9434765919', 'a valid NHS check digit with no NHS context and no NHS spacing'],
    ['ULN 9276308687', 'ULN with the wrong check digit'],
    ['invoice 1234567899', 'a valid ULN check digit with no ULN context'],
    ['NHS number 9434765918', 'NHS number with the wrong check digit'],
    ['NHS 000 000 0000', 'placeholder'],
    ['card 4111 1111 9434765919', 'inside a longer number'],
    ['call 020 7946 0958 or +44 7700 900123', 'phone numbers'],
    ['QQ123456A', "HMRC's example NI number"],
    ['ref ab123456c', 'lower-case reference code with no NI context'],
    ['AB123456E', 'NI suffix out of range'],
    ['1700000000', 'a timestamp'],
    ['2024-01-15', 'a date'],
  ])('does not find %j (%s)', (text) => expect(found(text)).toEqual([]));

  it('redacts to the label and the first three characters', () => {
    expect(findIdentifiers('UPN H801200001001 and NI AB123456C').map((h) => h.excerpt)).toEqual(['UPN H80…', 'NI no. AB1…']);
  });
});
