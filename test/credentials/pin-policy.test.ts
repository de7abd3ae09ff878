import test from 'ava';
import { pinProblem } from '../../src/credentials/pin-policy.js';
import type { PinPolicyConfig } from '../../src/config/types.js';

const digits: PinPolicyConfig = { minLength: 4, maxLength: 8, charset: 'digits' };
const alphanumeric: PinPolicyConfig = { minLength: 6, maxLength: 12, charset: 'alphanumeric' };

test('digit PINs within the bounds are accepted', (t) => {
  for (const pin of ['0000', '1234', '9876543', '01234567']) t.is(pinProblem(pin, digits), undefined, pin);
});

test('bounds are inclusive at both ends', (t) => {
  t.is(pinProblem('1'.repeat(4), digits), undefined);
  t.is(pinProblem('1'.repeat(8), digits), undefined);
  t.is(pinProblem('1'.repeat(3), digits), 'a PIN must be 4 to 8 characters long');
  t.is(pinProblem('1'.repeat(9), digits), 'a PIN must be 4 to 8 characters long');
  t.is(pinProblem('a'.repeat(6), alphanumeric), undefined);
  t.is(pinProblem('a'.repeat(12), alphanumeric), undefined);
  t.is(pinProblem('a'.repeat(5), alphanumeric), 'a PIN must be 6 to 12 characters long');
  t.is(pinProblem('a'.repeat(13), alphanumeric), 'a PIN must be 6 to 12 characters long');
});

test('a policy with equal bounds allows exactly that length', (t) => {
  const exact: PinPolicyConfig = { minLength: 6, maxLength: 6, charset: 'digits' };
  t.is(pinProblem('123456', exact), undefined);
  t.is(pinProblem('12345', exact), 'a PIN must be 6 to 6 characters long');
  t.is(pinProblem('1234567', exact), 'a PIN must be 6 to 6 characters long');
});

test('a digits policy refuses letters and anything else', (t) => {
  for (const pin of ['12a4', 'abcd', '12 34', ' 1234', '1234 ', '12-34', '+1234', '-1234', '12.4', '１２３４', '١٢٣٤', '12\n34', '1234\u0000']) {
    t.is(pinProblem(pin, digits), 'a PIN may contain digits only', JSON.stringify(pin));
  }
});

test('an alphanumeric policy takes ASCII letters and digits only', (t) => {
  for (const pin of ['abcdef', 'ABCDEF', 'Abc123', '123456', 'zZ09aA']) t.is(pinProblem(pin, alphanumeric), undefined, pin);
  for (const pin of ['abc-123', 'abc 123', 'pässwort', 'abc_123', 'abc123!', 'abc12é', 'ǅabc123', 'abc123\t', 'abc١٢٣']) {
    t.is(pinProblem(pin, alphanumeric), 'a PIN may contain letters and digits only', JSON.stringify(pin));
  }
});

test('the charset is checked before the length', (t) => {
  t.is(pinProblem('1a', digits), 'a PIN may contain digits only');
  t.is(pinProblem('x!', alphanumeric), 'a PIN may contain letters and digits only');
});

test('an empty PIN is refused', (t) => {
  t.not(pinProblem('', digits), undefined);
  t.not(pinProblem('', alphanumeric), undefined);
});

test('the message never echoes the PIN (it is shown to the helpdesk and may be logged)', (t) => {
  // PINs chosen so that no substring of theirs is in the fixed wording by chance.
  const pins = ['97531', '9753', '975319753', 'Zq97x', 'Zq97xWv!', 'Zq97xWvUt3Rs', 'Zq97xWvUt3RsP', '97 53', 'secret-9753', 'Zq97x\u00e9', '9753\n'];
  for (const policy of [digits, alphanumeric]) {
    for (const pin of pins) {
      const message = pinProblem(pin, policy);
      if (message === undefined) continue;
      t.false(message.includes(pin.trim()), `${JSON.stringify(message)} echoes ${JSON.stringify(pin)}`);
      t.false(message.includes('9753'));
      t.false(message.includes('Zq97'));
    }
  }
  t.pass();
});
