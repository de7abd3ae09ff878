-- What the gateway copies of users (login/user-copies.ts): for each pair of keys, a user
-- hash and its challenge hash, the fields a copy reads (record-format.ts COPY_FIELDS, in
-- that order: positions, not names, on the wire) and the pending challenges. Read-only.
-- One call holds a page of users on a single Redis (a round trip and a reply for
-- hundreds of users, instead of two HGETALLs each); with Cluster, one call per user, whose
-- keys share a slot (credential-repository.ts).
--
-- KEYS[2i-1] a user hash   KEYS[2i] that user's challenge hash
-- Returns {COPY_FIELDS values of user 1 (nil when absent), challenge fields of user 1 (flat), ...}
local fields = {$copy.fields}
local reply = {}
for i = 1, #KEYS, 2 do
  reply[#reply + 1] = redis.call('HMGET', KEYS[i], unpack(fields))
  reply[#reply + 1] = redis.call('HGETALL', KEYS[i + 1])
end
return reply
