-- Saves a console session unless it was signed out: a request that read the session
-- before the sign-out must not write it back afterwards (the session would live again,
-- in every tab). Sign-out leaves this tombstone value under the key for the longest
-- a session can live.
-- KEYS[1] session key   ARGV[1] session JSON   ARGV[2] TTL (s)   ARGV[3] the tombstone value
-- Returns 1 if saved, 0 if the session was signed out.
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
