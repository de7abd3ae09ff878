-- The one round trip of an authentication: the atomic check-and-consume for one
-- Access-Request. Its arguments are encoded, and its replies parsed, by decide-script.ts
-- alone; a name that starts with a dollar sign is spelled there or in record-format.ts
-- (see lua-script.ts).
--
-- Everything that must not race is decided here, in one script on one slot: the user's
-- state and lockout, each candidate code's expiry, revocation and remaining uses, the
-- token's replay window and lost-token policy, challenge States (single use, bound to the
-- client and the request code), the failure counter, and the outcome stored under the
-- request fingerprint so that a retransmission (to any gateway instance) gets the same
-- answer and never consumes a second use (RFC 5080 §2.2.2; SPEC "Duplicate detection").
-- Node computed the candidates (keyed hashes of the typed code, the TOTP/HOTP step that
-- matched, the derived offline authorization code that matched) because the keys never
-- enter Redis.
--
-- Node computed them from its copy of the user record. The copy carries the record's
-- revision ($user.revision, renewed by every write that changes what resolution reads in
-- the user hash) and the revision of the pending challenges ($user.challengeRevision); if
-- a stored revision is another, nothing is decided and the current record is returned for
-- Node to resolve again. The challenges' revision is only compared when the resolution
-- read them (a State, or a password that may be PIN ‖ offline authorization code): a
-- PIN-only request does not, so concurrent PIN-only requests of one user, each adding a
-- challenge, are all decided. An unknown user's revisions are ''.
--
-- KEYS[1] user hash   KEYS[2] codes hash   KEYS[3] outcome key   KEYS[4] challenge hash
-- KEYS[5], KEYS[6] the stand-in user and codes hashes an unknown user's login reads
--   instead of its own, in the same slot (stand-in-records.ts)
-- KEYS[7] the user's attempts list   KEYS[8] the stand-in attempts list (same slot)
-- ARGV[1] now (ms)    ARGV[2] outcome TTL (ms)   ARGV[3] max failures
-- ARGV[4] lockout (ms, 0 = until an admin unlocks)
-- ARGV[5] the reason to record if no candidate is valid (bad-pin, bad-code, ...)
-- ARGV[6] lost-token policy
-- ARGV[7] '1' when a used authorization code leaves a temporary bypass ('' = bypass off)
-- ARGV[8] State presented with the request, hex ('' = none); consumed whatever happens
-- ARGV[9] client name (a State is only valid from the client it was sent to)
-- ARGV[10] latest time (ms, Redis clock) at which this decision may still be taken
-- ARGV[11] revision of the record the candidates were computed from
-- ARGV[12] '1' when the resolution read the pending challenges ('' = it did not)
-- ARGV[13] revision of the pending challenges it read
-- ARGV[14] a fresh revision, stored if this decision changes what resolution reads
-- ARGV[15] the attempt's context, encoded by decide-script.ts and ending with its separator;
--   the decision is recorded after it as an attempt ('' = record none)
-- ARGV[16..] candidates in resolution order, fields joined by '|':
--   code|lookup   token|step   bypass   offline|request code|bypass end ms|answers State (1/0)
--   challenge|request code|state hex|expiry ms   (only when nothing else is accepted)
--   decoy|lookup   (looked up and ignored: a wrong PIN costs what a right one does)
--
-- Returns {new|replay, outcome}, and after them the user and challenge fields when this
-- decision renewed the revision (so the gateway's copy stays current without another
-- round trip); {stale, user fields, challenge fields} when the revision differs; or
-- {late} when the script runs after the gateway gave up on it. An outcome is
--   accept|method|code id   challenge|request code|state hex   reject|reason[|locked]
local now = tonumber(ARGV[1])
local FIRST_CANDIDATE = 16

-- A Redis that was frozen (SIGSTOP, a long fork, a stalled disk) runs the commands queued
-- in its socket when it wakes up. By then the gateway has timed out and told the NAS
-- nothing: consuming a code now would spend it for a login nobody was told about.
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[10]) then
  return {'$reply.late'}
end

local previous = redis.call('GET', KEYS[3])
if previous then
  -- Written again (same value, same TTL) so that a WAIT after this script covers it: Redis
  -- documents WAIT only for the writes of the connection that sends it.
  redis.call('SET', KEYS[3], previous, 'KEEPTTL')
  return {'$reply.replay', previous}
end

-- One read of the user for everything below (the same fields of a stand-in, below).
local function readUser(key)
  return redis.call('HMGET', key, '$user.status', '$user.failures', '$user.locked', '$user.tokenState', '$user.tokenExpires', '$user.tokenLast', '$user.tokenType', '$user.revision', '$user.challengeRevision')
end
local user = readUser(KEYS[1])
local revision = user[8]
if (revision or '') ~= ARGV[11] or (ARGV[12] == '1' and (user[9] or '') ~= ARGV[13]) then
  return {'$reply.stale', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[4])}
end
-- An unknown user: its codes are looked up in, and its record read from, a stand-in shaped
-- like a real user's, so that Redis works as long for a name that does not exist as for a
-- wrong PIN (SPEC "Resolving a password", step 1): a missing key is answered faster
-- than a hash is read.
local codesKey = KEYS[2]
if not user[1] then
  readUser(KEYS[5])
  codesKey = KEYS[6]
end
local renewed = false
local function renewRevision()
  if revision then
    redis.call('HSET', KEYS[1], '$user.revision', ARGV[14])
    renewed = true
  end
end
local function renewChallengeRevision()
  if user[1] then
    redis.call('HSET', KEYS[1], '$user.challengeRevision', ARGV[14])
    renewed = true
  end
end

-- The helpdesk's "who tried to log in": each decision (not a retransmission's replay, not a
-- stale copy, not a late run) is pushed to the user's last $attempts.kept attempts, in this
-- same round trip. `recorded`: what of the outcome to keep, when not all of it (a
-- challenge's request code and State are not for a list the helpdesk reads). An unknown
-- user's attempt goes to the stand-in list instead: the same work, so the time does not
-- tell, and no key per name an attacker makes up.
local attemptsKey = user[1] and KEYS[7] or KEYS[8]
local function decide(outcome, recorded)
  redis.call('SET', KEYS[3], outcome, 'PX', ARGV[2])
  if ARGV[15] ~= '' then
    redis.call('LPUSH', attemptsKey, ARGV[15] .. (recorded or outcome))
    redis.call('LTRIM', attemptsKey, 0, $attempts.kept - 1)
    redis.call('PEXPIRE', attemptsKey, $attempts.retentionMs)
  end
  if renewed then return {'$reply.new', outcome, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[4])} end
  return {'$reply.new', outcome}
end

local function split(text)
  local parts, from = {}, 1
  while true do
    local bar = string.find(text, '|', from, true)
    if not bar then
      parts[#parts + 1] = string.sub(text, from)
      return parts
    end
    parts[#parts + 1] = string.sub(text, from, bar - 1)
    from = bar + 1
  end
end

-- The candidates, split once; every code and decoy lookup in one HMGET, in order, whatever
-- the user, the PIN and the outcome: one command instead of one per lookup, and the same
-- work for an unknown user, a wrong PIN and a wrong code.
local candidates, lookups = {}, {}
for i = FIRST_CANDIDATE, #ARGV do
  local candidate = split(ARGV[i])
  candidates[#candidates + 1] = candidate
  if candidate[1] == '$candidate.code' or candidate[1] == '$candidate.decoy' then
    lookups[#lookups + 1] = candidate[2]
    candidate.found = #lookups
  end
end
local found = {}
if #lookups > 0 then found = redis.call('HMGET', codesKey, unpack(lookups)) end

local function usable(code)
  return code[$code.revokedAt] == 0 and code[$code.expiresAt] > now and (code[$code.maxUses] == 0 or code[$code.uses] < code[$code.maxUses])
end

-- RSA: the emergency codes that stand in for a lost token.
local function emergencyCodes(visit)
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local code = cjson.decode(all[i + 1])
    local kind = code[$code.kind]
    if (kind == '$kind.emergencyTokencode' or kind == '$kind.emergencyPasscode') and usable(code) then visit(all[i], code) end
  end
end

-- `source`: what made it, so that revoking that ends it (the online code's id, or the
-- offline request code).
local function createBypass(untilMs, reason, source)
  if ARGV[7] == '' then return end
  -- Its id, named in `code list`: unique because the outcome key (the request) is.
  local id = string.sub(redis.sha1hex(KEYS[3]), 1, 10)
  local bypass = {}
  bypass[$code.id], bypass[$code.kind], bypass[$code.issuedAt], bypass[$code.expiresAt] = id, '$kind.temporaryBypass', now, untilMs
  bypass[$code.maxUses], bypass[$code.uses], bypass[$code.lastUsedAt], bypass[$code.revokedAt] = 0, 0, 0, 0
  bypass[$code.issuedBy], bypass[$code.reason], bypass[$code.revokedBy], bypass[$code.length] = 'gateway', reason, '', 0
  bypass[$code.source] = source
  redis.call('HSET', KEYS[2], '$codes.bypass', cjson.encode(bypass))
end

-- RSA's rule on the challenge path too (SPEC "Tokens"): temporary access is only given to
-- a user whose token is assigned and not expired; otherwise a new token comes first.
local function tokenProblem()
  if not user[4] then return '$reason.noToken' end
  local expires = tonumber(user[5] or '0')
  if expires ~= 0 and expires <= now then return '$reason.tokenExpired' end
  return nil
end

-- A State is single use: consume it before anything else can fail.
local stateRequest, stateProblem = nil, nil
if ARGV[8] ~= '' then
  local field = '$challenge.state' .. ARGV[8]
  local record = redis.call('HGET', KEYS[4], field)
  if not record then stateProblem = '$reason.badState'
  else
    local client, request, expires = unpack(split(record))
    if client ~= ARGV[9] then stateProblem = '$reason.stateFromAnotherClient'
    elseif tonumber(expires) <= now then stateProblem = '$reason.stateExpired'
    else stateRequest = request end
    redis.call('HDEL', KEYS[4], field)
    renewChallengeRevision()
  end
end

-- SPEC step 1: an unknown, disabled or locked user is refused after the same lookups as a
-- wrong password, so the time taken does not say which it was.
local fails = tonumber(user[2] or '0')
local locked = tonumber(user[3] or '0')
local refusal = nil
if not user[1] then refusal = '$reason.unknownUser'
elseif user[1] ~= '$userStatus.active' then refusal = '$reason.disabled'
elseif locked < 0 or locked > now then refusal = '$reason.locked' end
if refusal then
  local decided = decide('$outcome.reject|' .. refusal)
  -- A wrong password also writes the failure counter. One write more here (the outcome's
  -- own TTL, set again) keeps the work, and what goes to the AOF and replicas, the same.
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  return decided
end
if locked > 0 then
  -- A timed lockout has run out: the count starts again.
  fails = 0
  redis.call('HSET', KEYS[1], '$user.locked', 0, '$user.failures', 0)
end

local reason = stateProblem or ARGV[5]
local challenge = nil
for _, candidate in ipairs(candidates) do
  local kind = candidate[1]
  if kind == '$candidate.code' then
    local raw = found[candidate.found]
    if raw then
      local code = cjson.decode(raw)
      if code[$code.revokedAt] ~= 0 then reason = '$reason.revoked'
      elseif code[$code.expiresAt] <= now then reason = '$reason.expired'
      elseif code[$code.maxUses] ~= 0 and code[$code.uses] >= code[$code.maxUses] then reason = '$reason.usedUp'
      else
        code[$code.uses] = code[$code.uses] + 1
        code[$code.lastUsedAt] = now
        redis.call('HSET', KEYS[2], candidate[2], cjson.encode(code))
        redis.call('HSET', KEYS[1], '$user.failures', 0)
        -- IBM: a used online authorization code may leave a password-only lock behind.
        if code[$code.kind] == '$kind.onlineAuthcode' then createBypass(code[$code.expiresAt], 'online authorization code ' .. code[$code.id], code[$code.id]) end
        return decide('$outcome.accept|' .. code[$code.kind] .. '|' .. code[$code.id])
      end
    end
  elseif kind == '$candidate.token' then
    local step = tonumber(candidate[2])
    local expires = tonumber(user[5] or '0')
    local lost = user[4] == '$tokenState.lost'
    local blocked = false
    if lost then
      if ARGV[6] == '$lostTokenPolicy.deny' then blocked = true
      elseif ARGV[6] == '$lostTokenPolicy.allowAfterExpiry' then emergencyCodes(function() blocked = true end) end
    end
    if blocked then reason = '$reason.lostToken'
    elseif user[4] ~= '$tokenState.active' and not lost then reason = '$reason.tokenDisabled'
    elseif expires ~= 0 and expires <= now then reason = '$reason.tokenExpired'
    elseif step <= tonumber(user[6] or '-1') then reason = '$reason.replay'
    else
      redis.call('HSET', KEYS[1], '$user.tokenLast', step, '$user.failures', 0, '$user.tokenState', '$tokenState.active')
      -- A TOTP step is checked here, but an HOTP counter and a lost token's state are read
      -- by resolution: the gateways' copies of this record are now out of date.
      if user[7] == '$tokenType.hotp' or user[4] ~= '$tokenState.active' then renewRevision() end
      if lost and ARGV[6] == '$lostTokenPolicy.allowAndRevoke' then
        emergencyCodes(function(field, code)
          code[$code.revokedAt] = now
          code[$code.revokedBy] = 'token-found'
          redis.call('HSET', KEYS[2], field, cjson.encode(code))
        end)
      end
      return decide('$outcome.accept|$method.token|')
    end
  elseif kind == '$candidate.bypass' then
    local raw = redis.call('HGET', KEYS[2], '$codes.bypass')
    if raw then
      local bypass = cjson.decode(raw)
      if bypass[$code.revokedAt] == 0 and bypass[$code.expiresAt] > now then
        bypass[$code.uses] = bypass[$code.uses] + 1
        bypass[$code.lastUsedAt] = now
        redis.call('HSET', KEYS[2], '$codes.bypass', cjson.encode(bypass))
        redis.call('HSET', KEYS[1], '$user.failures', 0)
        return decide('$outcome.accept|$kind.temporaryBypass|' .. bypass[$code.id])
      end
    end
  elseif kind == '$candidate.offline' then
    local request, bypassUntil, answersState = candidate[2], tonumber(candidate[3]), candidate[4] == '1'
    local pending = tonumber(redis.call('HGET', KEYS[4], '$challenge.request' .. request) or '0')
    local problem = tokenProblem()
    if answersState and request ~= stateRequest then
      -- The code answers another request code than the one this State was issued for.
      reason = stateProblem or '$reason.badAuthcode'
    elseif pending <= now then
      reason = '$reason.requestCodeExpired'
    elseif problem then
      reason = problem
    else
      -- Used: typed again while the access it gave lasts, the refusal says so.
      redis.call('HDEL', KEYS[4], '$challenge.request' .. request)
      redis.call('HSET', KEYS[4], '$challenge.used' .. request, bypassUntil)
      if redis.call('PTTL', KEYS[4]) < bypassUntil - now then redis.call('PEXPIREAT', KEYS[4], bypassUntil) end
      renewChallengeRevision()
      redis.call('HSET', KEYS[1], '$user.failures', 0)
      createBypass(bypassUntil, 'offline authorization code', '$source.offline' .. request)
      return decide('$outcome.accept|$method.offlineAuthcode|' .. request)
    end
  elseif kind == '$candidate.challenge' then
    challenge = candidate
  end
end

local function startsWith(text, prefix)
  return string.sub(text, 1, #prefix) == prefix
end

-- SPEC "Challenge flow", step 4: a user has at most $challenge.maxPending pending request
-- codes, the newest, and as many used ones; the oldest go (a pending one with its
-- States). So this hash, which every challenge reads, stays a few fields long however
-- many PIN-only requests arrive.
local function addChallenge(request, state, expires)
  local all = redis.call('HGETALL', KEYS[4])
  local pending, used, statesOf = {}, {}, {}
  local latest = expires
  for i = 1, #all, 2 do
    local field, value = all[i], all[i + 1]
    if startsWith(field, '$challenge.state') then
      local _, of, ends = unpack(split(value))
      if tonumber(ends) <= now then redis.call('HDEL', KEYS[4], field)
      else statesOf[of] = statesOf[of] or {}; table.insert(statesOf[of], field) end
    else
      local ends = tonumber(value)
      local list = startsWith(field, '$challenge.request') and pending or used
      if ends <= now then redis.call('HDEL', KEYS[4], field)
      else
        table.insert(list, {field = field, ends = ends})
        if ends > latest then latest = ends end
      end
    end
  end
  local function keepNewest(list, room, prefix)
    table.sort(list, function(a, b) return a.ends < b.ends end)
    for i = 1, #list - room do
      redis.call('HDEL', KEYS[4], list[i].field)
      for _, field in ipairs(statesOf[string.sub(list[i].field, #prefix + 1)] or {}) do redis.call('HDEL', KEYS[4], field) end
    end
  end
  keepNewest(pending, $challenge.maxPending - 1, '$challenge.request')
  keepNewest(used, $challenge.maxPending, '$challenge.used')
  redis.call('HSET', KEYS[4], '$challenge.request' .. request, expires, '$challenge.state' .. state, ARGV[9] .. '|' .. request .. '|' .. expires)
  redis.call('PEXPIREAT', KEYS[4], latest)
  renewChallengeRevision()
end

if challenge then
  local problem = tokenProblem()
  if problem then reason = problem
  else
    local request, state, expires = challenge[2], challenge[3], tonumber(challenge[4])
    addChallenge(request, state, expires)
    return decide('$outcome.challenge|' .. request .. '|' .. state, '$outcome.challenge')
  end
end

fails = fails + 1
if fails >= tonumber(ARGV[3]) then
  local lockout = tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], '$user.failures', fails, '$user.locked', lockout > 0 and (now + lockout) or -1)
  return decide('$outcome.reject|' .. reason .. '|$outcome.lockedNow')
end
redis.call('HSET', KEYS[1], '$user.failures', fails)
return decide('$outcome.reject|' .. reason)
