-- Ends temporary access that the challenge flow and authorization codes give: the
-- temporary bypass (IBM's password-only lock) and every pending request code with its
-- States, or just one pending request code. An admin action does this when access must
-- stop at once (revoke all, challenge access off, a token assigned, lost or removed, the
-- user disabled; README "Temporary access"): decide.lua reads both from here, so every
-- gateway instance refuses from the next request on.
-- A name that starts with a dollar sign is spelled in record-format.ts (see lua-script.ts).
-- KEYS[1] user hash   KEYS[2] codes hash   KEYS[3] challenge hash
-- ARGV[1] now (ms)   ARGV[2] revoked by   ARGV[3] a fresh revision of the pending challenges
-- ARGV[4] one request code to cancel ('' = the bypass and every pending request code)
-- Returns 0 if the user does not exist; otherwise {the id of the bypass ended or '',
-- the request codes cancelled...}.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local now, by, only = tonumber(ARGV[1]), ARGV[2], ARGV[4]

local ended = ''
if only == '' then
  local raw = redis.call('HGET', KEYS[2], '$codes.bypass')
  if raw then
    local bypass = cjson.decode(raw)
    if bypass[$code.revokedAt] == 0 and bypass[$code.expiresAt] > now then
      bypass[$code.revokedAt] = now
      bypass[$code.revokedBy] = by
      redis.call('HSET', KEYS[2], '$codes.bypass', cjson.encode(bypass))
      ended = bypass[$code.id]
    end
  end
end

local result = {ended}
local all = redis.call('HGETALL', KEYS[3])
local requestPrefix, statePrefix = '$challenge.request', '$challenge.state'
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  if string.sub(field, 1, #requestPrefix) == requestPrefix then
    local request = string.sub(field, #requestPrefix + 1)
    if only == '' or request == only then
      redis.call('HDEL', KEYS[3], field)
      if tonumber(value) > now then result[#result + 1] = request end
    end
  elseif string.sub(field, 1, #statePrefix) == statePrefix then
    -- "client|request code|expiry"
    local request = string.match(value, '^[^|]*|([^|]*)|')
    if only == '' or request == only then redis.call('HDEL', KEYS[3], field) end
  elseif only == '' then
    redis.call('HDEL', KEYS[3], field)
  end
end
redis.call('HSET', KEYS[1], '$user.challengeRevision', ARGV[3])
return result
