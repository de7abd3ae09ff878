-- Creates a user only if the name is free (two helpdesk operators adding the same user
-- at once must not overwrite each other).
-- KEYS[1] user hash   ARGV field, value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
