-- A self-service action's proof, checked and spent in one step (issue 18): an online
-- authorization code typed on a self-service page (and, for a token registration, the PIN)
-- redeems the change that comes with it, or nothing changes but the failure count. Atomic,
-- so two pages sending the same code at once get one success between them, and a code used
-- here is refused at a RADIUS login as used up (decide.lua), and back.
-- A name that starts with a dollar sign is spelled in record-format.ts (see lua-script.ts).
-- KEYS[1] user hash   KEYS[2] codes hash
-- ARGV[1] now (ms)   ARGV[2] max failures   ARGV[3] lockout (ms, 0 = until an admin unlocks)
-- ARGV[4] the typed PIN's `kid.hash` under each key, comma-joined ('' = no PIN to check)
-- ARGV[5] the typed code's lookup keys (each key, each family allowed), comma-joined
-- ARGV[6] latest time (ms, Redis clock) at which this may still run
-- ARGV[7] number of field/value pairs of the change, then the pairs, then fields to delete
-- Returns {'redeemed', code id, serial of the token it had ('' = none)}, {'refused', reason[, 'locked']},
-- {'unknown'} or {'late'}.
local now, maxFailures, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

-- As in decide.lua: a Redis that was frozen runs what queued in its socket when it wakes.
-- By then the page has said "nothing was changed": spending the code and setting a PIN or a
-- token (whose QR code nobody saw) now would make that untrue.
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[6]) then return {'late'} end
local user = redis.call('HMGET', KEYS[1], '$user.status', '$user.failures', '$user.locked', '$user.pin', '$user.tokenSerial')
if not user[1] then return {'unknown'} end
if user[1] ~= '$userStatus.active' then return {'refused', 'disabled'} end
local fails, locked = tonumber(user[2] or '0'), tonumber(user[3] or '0')
if locked < 0 or locked > now then return {'refused', 'locked'} end
if locked > 0 then
  -- A timed lockout has run out: the count starts again (as in decide.lua).
  fails = 0
  redis.call('HSET', KEYS[1], '$user.locked', 0, '$user.failures', 0)
end

local function member(list, value)
  for item in string.gmatch(list, '[^,]+') do
    if item == value then return true end
  end
  return false
end

local wrong = nil
if ARGV[4] ~= '' and not (user[4] and member(ARGV[4], user[4])) then wrong = 'bad-pin' end

-- Only an online authorization code, usable now: an emergency tokencode is typed after the
-- PIN too (the same hash family), but it stands in for a token, not for the helpdesk.
local field, code = nil, nil
for lookup in string.gmatch(ARGV[5], '[^,]+') do
  local raw = redis.call('HGET', KEYS[2], lookup)
  if raw and not code then
    local candidate = cjson.decode(raw)
    if candidate[$code.kind] == '$kind.onlineAuthcode' and candidate[$code.revokedAt] == 0 and candidate[$code.expiresAt] > now
      and (candidate[$code.maxUses] == 0 or candidate[$code.uses] < candidate[$code.maxUses]) then
      field, code = lookup, candidate
    end
  end
end
if not code then wrong = wrong or 'bad-code' end

if wrong then
  -- The same count as a failed login (SPEC "Lockout"): all methods together.
  fails = fails + 1
  if fails >= maxFailures then
    redis.call('HSET', KEYS[1], '$user.failures', fails, '$user.locked', lockout > 0 and (now + lockout) or -1)
    return {'refused', wrong, 'locked'}
  end
  redis.call('HSET', KEYS[1], '$user.failures', fails)
  return {'refused', wrong}
end

-- Used up, whatever uses it had left: a code that reset a PIN or registered a token must
-- not let anyone in afterwards.
code[$code.uses] = code[$code.uses] + 1
code[$code.lastUsedAt] = now
code[$code.maxUses] = code[$code.uses]
redis.call('HSET', KEYS[2], field, cjson.encode(code))
redis.call('HSET', KEYS[1], '$user.failures', 0)
local pairsCount = tonumber(ARGV[7])
if pairsCount > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 8, 7 + 2 * pairsCount)) end
if #ARGV > 7 + 2 * pairsCount then redis.call('HDEL', KEYS[1], unpack(ARGV, 8 + 2 * pairsCount)) end
return {'redeemed', code[$code.id], user[5] or ''}
