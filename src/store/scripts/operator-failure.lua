-- Counts one failed console sign-in of an operator (a wrong password or TOTP code) and
-- locks the account once the count reaches the limit; one script, so two failures at once
-- cannot both read the count below the limit.
-- KEYS[1] operator hash   ARGV[1] limit   ARGV[2] lock until (ms; -1: until unlocked)
-- Returns the failure count, or 0 if there is no such operator.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'locked_until', ARGV[2])
end
return failures
