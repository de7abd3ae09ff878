-- Accepts an operator's TOTP code at most once (RFC 6238 §5.2: a code verified must not be
-- verified again): records the time step it matched only if it is later than the last one
-- used, and resets the failure count, in one script, so two sign-ins with the same code at
-- once cannot both succeed. A lock set meanwhile (by failures sent at the same time) holds:
-- a right code neither passes it nor clears it.
-- KEYS[1] operator hash   ARGV[1] the step matched   ARGV[2] now (ms)
-- Returns 1 if accepted, 0 for a replay or a missing operator, 2 while locked.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local locked = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if locked == -1 or locked > tonumber(ARGV[2]) then return 2 end
local last = tonumber(redis.call('HGET', KEYS[1], 'totp_step') or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'totp_step', ARGV[1], 'failures', '0', 'locked_until', '0')
return 1
