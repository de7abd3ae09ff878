-- Counts one self-service code request for a name in a fixed window that starts with the
-- first request: the counter and its expiry are set together, so a crash between the two
-- cannot leave a counter that never expires.
-- KEYS[1] the name's request counter   ARGV[1] window (ms)
-- Returns the count, this request included.
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
