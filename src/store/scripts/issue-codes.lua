-- Stores newly issued codes and refreshes the user's list of PIN-prefixed code lengths
-- (which the gateway reads to know where the PIN may end in a typed password).
-- Codes that ended (expired or revoked) more than the retention time ago are pruned here,
-- so a user's code hash stays small however many codes the helpdesk issues over the years.
-- A name that starts with a dollar sign is spelled in record-format.ts (see lua-script.ts).
-- KEYS[1] user hash   KEYS[2] codes hash
-- ARGV[1] now (ms)   ARGV[2] retention (ms)   ARGV[3] comma list of PIN-prefixed kinds
-- ARGV[4] a fresh revision of the user record (see decide.lua): the lengths change
-- ARGV[5..] lookup hash, record pairs
-- Returns 0 if the user does not exist, 1 otherwise.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local now, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local prefixed = {}
for kind in string.gmatch(ARGV[3], '[^,]+') do prefixed[kind] = true end

for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end

local lengths, seen = {}, {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local code = cjson.decode(all[i + 1])
  local revoked, expires, length = code[$code.revokedAt], code[$code.expiresAt], code[$code.length]
  local ended = revoked ~= 0 and revoked or expires
  if ended + retention < now then
    redis.call('HDEL', KEYS[2], all[i])
  elseif prefixed[code[$code.kind]] and revoked == 0 and expires > now and not seen[length] then
    seen[length] = true
    lengths[#lengths + 1] = length
  end
end
table.sort(lengths)
redis.call('HSET', KEYS[1], '$user.prefixedLengths', table.concat(lengths, ','), '$user.revision', ARGV[4])
return 1
