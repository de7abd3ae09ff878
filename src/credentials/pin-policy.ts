import type { PinPolicyConfig } from '../config/types.js';

/** Why a PIN breaks the policy, phrased for the helpdesk; undefined when it is fine. Never echoes the PIN. */
export function pinProblem(pin: string, policy: PinPolicyConfig): string | undefined {
  if (pin.length === 0) return `a PIN must be ${policy.minLength} to ${policy.maxLength} characters long`;
  const pattern = policy.charset === 'digits' ? /^[0-9]+$/ : /^[A-Za-z0-9]+$/;
  if (!pattern.test(pin)) {
    return policy.charset === 'digits' ? 'a PIN may contain digits only' : 'a PIN may contain letters and digits only';
  }
  if (pin.length < policy.minLength || pin.length > policy.maxLength) {
    return `a PIN must be ${policy.minLength} to ${policy.maxLength} characters long`;
  }
  return undefined;
}
