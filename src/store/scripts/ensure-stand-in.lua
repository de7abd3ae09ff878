-- Writes the stand-in records an unknown user's login reads (see stand-in-records.ts),
-- unless they exist: every gateway writes them at start and after Redis comes back, and
-- the first one's stay.
-- KEYS[1] stand-in user hash   KEYS[2] stand-in codes hash
-- ARGV[1] number of user field/value pairs, then those pairs, then the codes' pairs
local userValues = tonumber(ARGV[1]) * 2
local written = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + userValues))
  written = 1
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 2 + userValues))
  written = 1
end
return written
