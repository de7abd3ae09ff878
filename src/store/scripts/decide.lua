-- Second round trip: the atomic check-and-consume for one Access-Request.
--
-- Everything that must not race is decided here, in one script on one slot: the user's
-- state and lockout, each candidate code's expiry, revocation and remaining uses, the
-- token's replay window, the failure counter, and the decision stored under the request
-- fingerprint so that a retransmission (to any gateway instance) gets the same answer and
-- never consumes a second use. Node computed the candidates (keyed hashes of the typed
-- code, the TOTP/HOTP step that matched) because the keys never enter Redis.
--
-- KEYS[1] user hash   KEYS[2] codes hash   KEYS[3] decision key
-- ARGV[1] now (ms)    ARGV[2] decision TTL (ms)   ARGV[3] max failures
-- ARGV[4] lockout (ms, 0 = until an admin unlocks)
-- ARGV[5] the reason to record if no candidate is valid (bad-pin, bad-code, lost-token, ...)
-- ARGV[6..] candidates in resolution order, as pairs: 'code', lookup hash | 'token', step
--
-- Code records are JSON arrays:
--   1 id, 2 kind, 3 issued ms, 4 expires ms, 5 max uses (0 = until expiry), 6 uses,
--   7 last used ms, 8 revoked ms, 9 issued by, 10 reason, 11 revoked by, 12 length
-- Returns {'new'|'replay', decision}; a decision is 'A|method|code id' or 'R|reason[|locked]'.
local now = tonumber(ARGV[1])

local previous = redis.call('GET', KEYS[3])
if previous then return {'replay', previous} end

local function decide(decision)
  redis.call('SET', KEYS[3], decision, 'PX', ARGV[2])
  return {'new', decision}
end

local user = redis.call('HMGET', KEYS[1], 'status', 'fails', 'locked', 't_state', 't_expires', 't_last')
if not user[1] then return decide('R|unknown-user') end
if user[1] ~= 'active' then return decide('R|disabled') end

local fails = tonumber(user[2] or '0')
local locked = tonumber(user[3] or '0')
if locked < 0 or locked > now then return decide('R|locked') end
if locked > 0 then
  -- A timed lockout has run out: the count starts again.
  fails = 0
  redis.call('HSET', KEYS[1], 'locked', 0, 'fails', 0)
end

local reason = ARGV[5]
for i = 6, #ARGV, 2 do
  local kind, value = ARGV[i], ARGV[i + 1]
  if kind == 'code' then
    local raw = redis.call('HGET', KEYS[2], value)
    if raw then
      local code = cjson.decode(raw)
      if code[8] ~= 0 then reason = 'revoked'
      elseif code[4] <= now then reason = 'expired'
      elseif code[5] ~= 0 and code[6] >= code[5] then reason = 'used-up'
      else
        code[6] = code[6] + 1
        code[7] = now
        redis.call('HSET', KEYS[2], value, cjson.encode(code))
        redis.call('HSET', KEYS[1], 'fails', 0)
        return decide('A|' .. code[2] .. '|' .. code[1])
      end
    end
  elseif kind == 'token' then
    local step = tonumber(value)
    local expires = tonumber(user[5] or '0')
    if user[4] == 'lost' then reason = 'lost-token'
    elseif user[4] ~= 'active' then reason = 'token-disabled'
    elseif expires ~= 0 and expires <= now then reason = 'token-expired'
    elseif step <= tonumber(user[6] or '-1') then reason = 'replay'
    else
      redis.call('HSET', KEYS[1], 't_last', step, 'fails', 0)
      return decide('A|token|')
    end
  end
end

fails = fails + 1
if fails >= tonumber(ARGV[3]) then
  local lockout = tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], 'fails', fails, 'locked', lockout > 0 and (now + lockout) or -1)
  return decide('R|' .. reason .. '|locked')
end
redis.call('HSET', KEYS[1], 'fails', fails)
return decide('R|' .. reason)
