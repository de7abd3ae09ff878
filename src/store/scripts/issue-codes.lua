-- Stores newly issued codes and refreshes the user's list of PIN-prefixed code lengths
-- (which the gateway reads to know where the PIN may end in a typed password).
-- Codes that ended (expired or revoked) more than the retention time ago are pruned here,
-- so a user's code hash stays small however many codes the helpdesk issues over the years.
-- KEYS[1] user hash   KEYS[2] codes hash
-- ARGV[1] now (ms)   ARGV[2] retention (ms)   ARGV[3] comma list of PIN-prefixed kinds
-- ARGV[4] a fresh revision of the user record (see decide.lua): the lengths change
-- ARGV[5..] lookup hash, record pairs (records as in decide.lua)
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
  local ended = code[8] ~= 0 and code[8] or code[4]
  if ended + retention < now then
    redis.call('HDEL', KEYS[2], all[i])
  elseif prefixed[code[2]] and code[8] == 0 and code[4] > now and not seen[code[12]] then
    seen[code[12]] = true
    lengths[#lengths + 1] = code[12]
  end
end
table.sort(lengths)
redis.call('HSET', KEYS[1], 'plen', table.concat(lengths, ','), 'rv', ARGV[4])
return 1
