-- Revokes one code by id, the last issued (every code of the most recent issue, since a
-- set of one-time codes is issued at once), all of a user's codes, or their outstanding
-- emergency codes (when a lost token is found). Atomic, so a code being consumed at the
-- same moment is either consumed or revoked, never both.
-- A name that starts with a dollar sign is spelled in record-format.ts (see lua-script.ts).
-- KEYS[1] user hash (names the slot)   KEYS[2] codes hash
-- ARGV[1] 'id' | 'last' | 'all' | 'emergency'   ARGV[2] id   ARGV[3] now (ms)   ARGV[4] revoked by
-- Returns the records that were revoked by this call.
local mode, id, now, by = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local all = redis.call('HGETALL', KEYS[2])
local latest = -1
if mode == 'last' then
  for i = 2, #all, 2 do
    local issued = cjson.decode(all[i])[$code.issuedAt]
    if issued > latest then latest = issued end
  end
end
local revoked = {}
for i = 1, #all, 2 do
  local code = cjson.decode(all[i + 1])
  local kind = code[$code.kind]
  local selected = mode == 'all' or (mode == 'id' and code[$code.id] == id) or (mode == 'last' and code[$code.issuedAt] == latest)
    or (mode == 'emergency' and (kind == '$kind.emergencyTokencode' or kind == '$kind.emergencyPasscode') and code[$code.expiresAt] > now)
  if selected and code[$code.revokedAt] == 0 then
    code[$code.revokedAt] = now
    code[$code.revokedBy] = by
    local record = cjson.encode(code)
    redis.call('HSET', KEYS[2], all[i], record)
    revoked[#revoked + 1] = record
  end
end
return revoked
