-- Changes fields of an existing user; never creates one (a typo in a user name must not
-- conjure a half-made record).
-- KEYS[1] user hash   ARGV[1] number of field/value pairs to set, then the pairs, then
-- the fields to delete. Returns 0 if the user does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local pairs_count = tonumber(ARGV[1])
if pairs_count > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * pairs_count))
end
if #ARGV > 1 + 2 * pairs_count then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * pairs_count))
end
return 1
