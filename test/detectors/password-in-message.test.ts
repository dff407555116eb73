import { describe, expect, it } from 'vitest';
import { findPasswords } from '../../src/detectors/password-in-message.js';

const tokens = (text: string): string[] => [...new Set(findPasswords(text).map((f) => f.token))];

describe('passwords written in a message', () => {
  it.each([
    ['The password is Wren-Hollow-52', 'Wren-Hollow-52'],
    ['pw: 4471', '4471'],
    ['Password for the attachment is Tr33top', 'Tr33top'],
    ['It opens with Wren-Hollow-52.', 'Wren-Hollow-52'],
    ['Password:\nWren-Hollow-52', 'Wren-Hollow-52'],
    ['passcode 8812?', '8812'],
    ['password to open the spreadsheet: "Blue Tiger 9"', 'Blue Tiger 9'],
    ['> Password - Kestrel77', 'Kestrel77'],
    ['the PIN is 4471', '4471'],
    ['you can unlock it using Sunflower22', 'Sunflower22'],
    ['PASSWORD = riverside2026', 'riverside2026'],
  ])('finds %j', (text, token) => expect(tokens(text)).toEqual([token]));

  it.each([
    'I will phone you with the password.',
    'The password will follow in a separate email',
    "I'll text you the password",
    'Click here to reset your password',
    'Forgotten your password? Reset it here',
    'The document is password-protected.',
    'Password: see my text message',
    'Your password has expired',
    'The password is the usual one',
    'password policy update',
    'The key is under the mat',
    'Key stage 2 results',
    'Enter your PIN at the door',
  ])('finds nothing in %j', (text) => expect(tokens(text)).toEqual([]));
});
