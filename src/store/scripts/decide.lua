-- The one round trip of an authentication: the atomic check-and-consume for one
-- Access-Request.
--
-- Everything that must not race is decided here, in one script on one slot: the user's
-- state and lockout, each candidate code's expiry, revocation and remaining uses, the
-- token's replay window and lost-token policy, challenge States (single use, bound to the
-- client and the request code), the failure counter, and the decision stored under the
-- request fingerprint so that a retransmission (to any gateway instance) gets the same
-- answer and never consumes a second use. Node computed the candidates (keyed hashes of
-- the typed code, the TOTP/HOTP step that matched, the derived offline authorization code
-- that matched) because the keys never enter Redis.
--
-- Node computed them from its copy of the user record. The copy carries the record's
-- revision (field rv, renewed by every write that changes what resolution reads); if the
-- stored revision is another, nothing is decided and the current record is returned for
-- Node to resolve again. An unknown user's revision is ''.
--
-- KEYS[1] user hash   KEYS[2] codes hash   KEYS[3] decision key   KEYS[4] challenge hash
-- KEYS[5], KEYS[6] the stand-in user and codes hashes an unknown user's login reads
--   instead of its own, in the same slot (stand-in-records.ts)
-- ARGV[1] now (ms)    ARGV[2] decision TTL (ms)   ARGV[3] max failures
-- ARGV[4] lockout (ms, 0 = until an admin unlocks)
-- ARGV[5] the reason to record if no candidate is valid (bad-pin, bad-code, ...)
-- ARGV[6] lost-token policy: deny | allow-and-revoke | allow-after-expiry
-- ARGV[7] '1' when a used authorization code leaves a temporary bypass ('' = bypass off)
-- ARGV[8] State presented with the request, hex ('' = none); consumed whatever happens
-- ARGV[9] client name (a State is only valid from the client it was sent to)
-- ARGV[10] latest time (ms, Redis clock) at which this decision may still be taken
-- ARGV[11] revision of the record the candidates were computed from
-- ARGV[12] a fresh revision, stored if this decision changes what resolution reads
-- ARGV[13..] candidates in resolution order, fields joined by '|':
--   code|lookup   token|step   bypass   offline|request code|bypass end ms|answers State (1/0)
--   challenge|request code|state hex|expiry ms   (only when nothing else is accepted)
--   decoy|lookup   (looked up and ignored: a wrong PIN costs what a right one does)
--
-- Code records are JSON arrays:
--   1 id, 2 kind, 3 issued ms, 4 expires ms, 5 max uses (0 = until expiry), 6 uses,
--   7 last used ms, 8 revoked ms, 9 issued by, 10 reason, 11 revoked by, 12 length
-- Returns {'new'|'replay', decision}: 'A|method|id', 'C|request code|state hex' or
-- 'R|reason[|locked]', and after them the user and challenge fields when this decision
-- renewed the revision (so the gateway's copy stays current without another round trip);
-- {'stale', user fields, challenge fields} when the revision differs;
-- or {'late'} when the script runs after the gateway gave up on it.
local now = tonumber(ARGV[1])

-- A Redis that was frozen (SIGSTOP, a long fork, a stalled disk) runs the commands queued
-- in its socket when it wakes up. By then the gateway has timed out and told the NAS
-- nothing: consuming a code now would spend it for a login nobody was told about.
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[10]) then
  return {'late'}
end

local previous = redis.call('GET', KEYS[3])
if previous then
  -- Written again (same value, same TTL) so that a WAIT after this script covers it: Redis
  -- documents WAIT only for the writes of the connection that sends it.
  redis.call('SET', KEYS[3], previous, 'KEEPTTL')
  return {'replay', previous}
end

-- One read of the user for everything below; every user record has a status.
-- What this script reads of a user record (the same fields of a stand-in, below).
local USER_FIELDS = {'status', 'fails', 'locked', 't_state', 't_expires', 't_last', 't_type', 'rv'}
local user = redis.call('HMGET', KEYS[1], unpack(USER_FIELDS))
local revision = user[8]
if not revision and user[1] then
  -- A record written before revisions existed gets one now.
  revision = ARGV[12]
  redis.call('HSET', KEYS[1], 'rv', revision)
end
if (revision or '') ~= ARGV[11] then
  return {'stale', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[4])}
end
-- An unknown user: its codes are looked up in, and its record read from, a stand-in shaped
-- like a real user's, so that Redis works as long for a name that does not exist as for a
-- wrong PIN (SPEC "Resolving a password", step 1). Missing keys answer about 1.5 µs faster.
local codesKey = KEYS[2]
if not user[1] then
  redis.call('HMGET', KEYS[5], unpack(USER_FIELDS))
  codesKey = KEYS[6]
end
local renewed = false
local function renewRevision()
  if revision then
    redis.call('HSET', KEYS[1], 'rv', ARGV[12])
    renewed = true
  end
end

local function decide(decision)
  redis.call('SET', KEYS[3], decision, 'PX', ARGV[2])
  if renewed then return {'new', decision, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[4])} end
  return {'new', decision}
end

local function split(text)
  local parts = {}
  for part in string.gmatch(text, '[^|]+') do parts[#parts + 1] = part end
  return parts
end

local function usable(code)
  return code[8] == 0 and code[4] > now and (code[5] == 0 or code[6] < code[5])
end

-- RSA: the emergency codes that stand in for a lost token.
local function emergencyCodes(visit)
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local code = cjson.decode(all[i + 1])
    if (code[2] == 'ET' or code[2] == 'EP') and usable(code) then visit(all[i], code) end
  end
end

local function createBypass(untilMs, reason)
  if ARGV[7] == '' then return end
  -- Its id, named in `code list`: unique because the decision key (the request) is.
  local id = string.sub(redis.sha1hex(KEYS[3]), 1, 10)
  redis.call('HSET', KEYS[2], 'bypass', cjson.encode({id, 'BP', now, untilMs, 0, 0, 0, 0, 'gateway', reason, '', 0}))
end

-- A State is single use: consume it before anything else can fail.
local stateRequest, stateProblem = nil, nil
if ARGV[8] ~= '' then
  local field = 'state:' .. ARGV[8]
  local record = redis.call('HGET', KEYS[4], field)
  if not record then stateProblem = 'bad-state'
  else
    local client, request, expires = unpack(split(record))
    if client ~= ARGV[9] then stateProblem = 'state-from-another-client'
    elseif tonumber(expires) <= now then stateProblem = 'state-expired'
    else stateRequest = request end
    redis.call('HDEL', KEYS[4], field)
    renewRevision()
  end
end

-- SPEC step 1: an unknown, disabled or locked user is refused after the same lookups as a
-- wrong password, so the time taken does not say which it was.
local fails = tonumber(user[2] or '0')
local locked = tonumber(user[3] or '0')
local refusal = nil
if not user[1] then refusal = 'unknown-user'
elseif user[1] ~= 'active' then refusal = 'disabled'
elseif locked < 0 or locked > now then refusal = 'locked' end
if refusal then
  for i = 13, #ARGV do
    local candidate = split(ARGV[i])
    if candidate[1] == 'code' or candidate[1] == 'decoy' then redis.call('HGET', codesKey, candidate[2]) end
  end
  local decided = decide('R|' .. refusal)
  -- A wrong password also writes the failure counter. One write more here (the decision's
  -- own TTL, set again) keeps the work, and what goes to the AOF and replicas, the same.
  -- (Writing the stand-in's counter instead was measurably slower: `npm run timing`.)
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  return decided
end
if locked > 0 then
  -- A timed lockout has run out: the count starts again.
  fails = 0
  redis.call('HSET', KEYS[1], 'locked', 0, 'fails', 0)
end

local reason = stateProblem or ARGV[5]
local challenge = nil
for i = 13, #ARGV do
  local candidate = split(ARGV[i])
  local kind = candidate[1]
  if kind == 'decoy' then
    redis.call('HGET', KEYS[2], candidate[2])
  elseif kind == 'code' then
    local raw = redis.call('HGET', KEYS[2], candidate[2])
    if raw then
      local code = cjson.decode(raw)
      if code[8] ~= 0 then reason = 'revoked'
      elseif code[4] <= now then reason = 'expired'
      elseif code[5] ~= 0 and code[6] >= code[5] then reason = 'used-up'
      else
        code[6] = code[6] + 1
        code[7] = now
        redis.call('HSET', KEYS[2], candidate[2], cjson.encode(code))
        redis.call('HSET', KEYS[1], 'fails', 0)
        -- IBM: a used online authorization code may leave a password-only lock behind.
        if code[2] == 'OA' then createBypass(code[4], 'online authorization code ' .. code[1]) end
        return decide('A|' .. code[2] .. '|' .. code[1])
      end
    end
  elseif kind == 'token' then
    local step = tonumber(candidate[2])
    local expires = tonumber(user[5] or '0')
    local lost = user[4] == 'lost'
    local blocked = false
    if lost then
      if ARGV[6] == 'deny' then blocked = true
      elseif ARGV[6] == 'allow-after-expiry' then emergencyCodes(function() blocked = true end) end
    end
    if blocked then reason = 'lost-token'
    elseif user[4] ~= 'active' and not lost then reason = 'token-disabled'
    elseif expires ~= 0 and expires <= now then reason = 'token-expired'
    elseif step <= tonumber(user[6] or '-1') then reason = 'replay'
    else
      redis.call('HSET', KEYS[1], 't_last', step, 'fails', 0, 't_state', 'active')
      -- A TOTP step is checked here, but an HOTP counter and a lost token's state are read
      -- by resolution: the gateways' copies of this record are now out of date.
      if user[7] == 'hotp' or user[4] ~= 'active' then renewRevision() end
      if lost and ARGV[6] == 'allow-and-revoke' then
        emergencyCodes(function(field, code)
          code[8] = now
          code[11] = 'token-found'
          redis.call('HSET', KEYS[2], field, cjson.encode(code))
        end)
      end
      return decide('A|token|')
    end
  elseif kind == 'bypass' then
    local raw = redis.call('HGET', KEYS[2], 'bypass')
    if raw then
      local bypass = cjson.decode(raw)
      if bypass[8] == 0 and bypass[4] > now then
        bypass[6] = bypass[6] + 1
        bypass[7] = now
        redis.call('HSET', KEYS[2], 'bypass', cjson.encode(bypass))
        redis.call('HSET', KEYS[1], 'fails', 0)
        return decide('A|BP|' .. bypass[1])
      end
    end
  elseif kind == 'offline' then
    local request, bypassUntil, answersState = candidate[2], tonumber(candidate[3]), candidate[4] == '1'
    local pending = tonumber(redis.call('HGET', KEYS[4], 'req:' .. request) or '0')
    if answersState and request ~= stateRequest then
      -- The code answers another request code than the one this State was issued for.
      reason = stateProblem or 'bad-authcode'
    elseif pending <= now then
      reason = 'request-code-expired'
    else
      redis.call('HDEL', KEYS[4], 'req:' .. request)
      renewRevision()
      redis.call('HSET', KEYS[1], 'fails', 0)
      createBypass(bypassUntil, 'offline authorization code')
      return decide('A|OF|' .. request)
    end
  elseif kind == 'challenge' then
    challenge = candidate
  end
end

if challenge then
  local request, state, expires = challenge[2], challenge[3], tonumber(challenge[4])
  -- Tidy up what has expired, so the hash stays as small as the pending challenges.
  local all = redis.call('HGETALL', KEYS[4])
  for i = 1, #all, 2 do
    local ends = string.sub(all[i], 1, 4) == 'req:' and tonumber(all[i + 1]) or tonumber(split(all[i + 1])[3])
    if ends <= now then redis.call('HDEL', KEYS[4], all[i]) end
  end
  redis.call('HSET', KEYS[4], 'req:' .. request, expires, 'state:' .. state, ARGV[9] .. '|' .. request .. '|' .. expires)
  redis.call('PEXPIREAT', KEYS[4], expires)
  renewRevision()
  return decide('C|' .. request .. '|' .. state)
end

fails = fails + 1
if fails >= tonumber(ARGV[3]) then
  local lockout = tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], 'fails', fails, 'locked', lockout > 0 and (now + lockout) or -1)
  return decide('R|' .. reason .. '|locked')
end
redis.call('HSET', KEYS[1], 'fails', fails)
return decide('R|' .. reason)
