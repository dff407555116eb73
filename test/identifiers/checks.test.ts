import { describe, expect, it } from 'vitest';
import { isTemporaryUpn, isValidNhsNumber, isValidNino, isValidUln, isValidUpn } from '../../src/identifiers/checks.js';

// Vectors and their sources: docs/research/uk-identifiers.md.
describe('UPN check letter (DfE)', () => {
  it.each(['H801200001001', 'B801200005001', 'R202123424001', 'T330400525017', 'K938400324500'])('%s is valid', (upn) => {
    expect(isValidUpn(upn)).toBe(true);
    expect(isTemporaryUpn(upn)).toBe(false);
  });
  it.each(['G80120000101A', 'X00180001701A', 'C20212342400A', 'E33040052501Z'])('temporary %s is valid', (upn) => {
    expect(isValidUpn(upn)).toBe(true);
    expect(isTemporaryUpn(upn)).toBe(true);
  });
  it.each([
    ['A801200005001', 'wrong check letter (should be B)'],
    ['Z801200001001', 'wrong check letter (should be H)'],
    ['Q207000016049', 'a vendor help page example with the wrong letter (P is right)'],
    ['G80120000101S', 'S is not in the check table'],
    ['G80120000101I', 'I is not in the check table'],
    ['H80120000100', 'too short'],
    ['H8012000010011', 'too long'],
    ['h801200001001', 'lower case (callers upper-case first)'],
  ])('%s is not valid: %s', (upn) => expect(isValidUpn(upn)).toBe(false));
  it('accepts the vendor example once its letter is corrected', () => expect(isValidUpn('P207000016049')).toBe(true));
});

describe('ULN check digit (LRS)', () => {
  it.each(['9276308686', '1000102504', '1234567899', '7000000006', '5000000004', '4444444443', '3000000002'])('%s is valid', (uln) =>
    expect(isValidUln(uln)).toBe(true),
  );
  it.each([
    ['9276308687', 'wrong check digit'],
    ['1234567890', 'wrong check digit (9 is right)'],
    ['0000000042', 'leading zero'],
    ['9876543210', 'remainder 0: no valid check digit'],
    ['9999999999', 'the ILR placeholder'],
  ])('%s is not valid: %s', (uln) => expect(isValidUln(uln)).toBe(false));
});

describe('NHS number (mod 11)', () => {
  it.each(['9434765919', '2983396339', '4010232137', '9434765870', '4505577104'])('%s is valid', (nhs) =>
    expect(isValidNhsNumber(nhs)).toBe(true),
  );
  it.each([
    ['9434765918', 'wrong check digit'],
    ['1234567890', 'check would be 10'],
    ['0000000000', 'placeholder (passes the arithmetic)'],
    ['9999999999', 'placeholder (passes the arithmetic)'],
    ['9876543210', 'running digits (passes the arithmetic)'],
  ])('%s is not valid: %s', (nhs) => expect(isValidNhsNumber(nhs)).toBe(false));
  it('no ten-digit number is both a valid ULN and a valid NHS number', () => {
    for (let n = 1_000_000_000; n < 1_000_000_000 + 200_000; n += 7) {
      const digits = String(n);
      expect(isValidUln(digits) && isValidNhsNumber(digits)).toBe(false);
    }
  });
});

describe('National Insurance number (HMRC NIM39110)', () => {
  it.each(['AB123456C', 'HH012345D', 'TJ012345D', 'JG103759A', 'ZY987654B', 'CE000000A'])('%s is valid', (nino) =>
    expect(isValidNino(nino)).toBe(true),
  );
  it.each([
    ['QQ123456A', "HMRC's own example: Q is never used"],
    ['GB123456A', 'unused prefix'],
    ['TN123456A', 'old temporary number'],
    ['AO123456B', 'O is never the second letter'],
    ['DA123456C', 'D is never used'],
    ['AB123456E', 'suffix must be A-D'],
    ['PP999999P', 'administrative placeholder'],
    ['AB12345C', 'five digits'],
  ])('%s is not valid: %s', (nino) => expect(isValidNino(nino)).toBe(false));
});
