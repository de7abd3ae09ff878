-- First round trip of an authentication: the decision already taken for this very request
-- (a retransmission that reached this gateway instance or another one), or the user record
-- and the user's pending challenges.
-- KEYS[1] user hash   KEYS[2] decision key of the request fingerprint   KEYS[3] challenge hash
local previous = redis.call('GET', KEYS[2])
if previous then
  -- Written again (same value, same TTL) so that a WAIT after this script covers it: Redis
  -- documents WAIT only for the writes of the connection that sends it.
  redis.call('SET', KEYS[2], previous, 'KEEPTTL')
  return {previous}
end
return {false, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[3])}
