import test from 'ava';
import { canonicalMobile, maskMobile } from '../../src/credentials/mobile-number.js';

// E.164 numbers as an admin types them (issue 18), and how every view shows them.

test('spaces and hyphens are dropped; + and 8 to 15 digits, the first not 0', (t) => {
  t.is(canonicalMobile('+49 151-1234 5678'), '+4915112345678');
  t.is(canonicalMobile('+14155550123'), '+14155550123');
  t.is(canonicalMobile('+12345678'), '+12345678', '8 digits');
  t.is(canonicalMobile('+123456789012345'), '+123456789012345', '15 digits');
  for (const wrong of ['015112345678', '+1234567', '+1234567890123456', '+0151123456', '+49 151 CALL ME', '+49(151)12345678', '', '+']) t.is(canonicalMobile(wrong), undefined, wrong);
});

test('masked: the country code\'s start and the last two digits, a dot for each digit between', (t) => {
  t.is(maskMobile('+4915112345678'), '+49•••••••••78');
  t.is(maskMobile('+12345678'), '+12••••78');
});
