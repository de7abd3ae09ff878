-- Revokes one code by id, the last issued (every code of the most recent issue, since a
-- set of one-time codes is issued at once; of one kind when named), all of a user's codes,
-- or their outstanding emergency codes (when a lost token is found). Atomic, so a code
-- being consumed at the same moment is either consumed or revoked, never both.
-- "Last" is the last a helpdesk issued, never a record the gateway made (the temporary
-- bypass), and revoking an authorization code ends the bypass its use made (SPEC "Issued
-- codes"): the bypass records its source.
-- A name that starts with a dollar sign is spelled in record-format.ts (see lua-script.ts).
-- KEYS[1] user hash (names the slot)   KEYS[2] codes hash
-- ARGV[1] 'id' | 'last' | 'all' | 'emergency'
-- ARGV[2] the id ('id'), or the kind's letters ('last'; '' = any kind)
-- ARGV[3] now (ms)   ARGV[4] revoked by
-- Returns the records that were revoked by this call.
local mode, selector, now, by = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local all = redis.call('HGETALL', KEYS[2])

local function issuedOfKind(code)
  local kind = code[$code.kind]
  return kind ~= '$kind.temporaryBypass' and (selector == '' or kind == selector)
end

local codes = {}
local latest = -1
for i = 1, #all, 2 do
  local code = cjson.decode(all[i + 1])
  codes[#codes + 1] = {field = all[i], code = code}
  if mode == 'last' and issuedOfKind(code) and code[$code.issuedAt] > latest then latest = code[$code.issuedAt] end
end

local revoked, revokedIds, bypass = {}, {}, nil
local function revoke(entry)
  local code = entry.code
  code[$code.revokedAt] = now
  code[$code.revokedBy] = by
  local record = cjson.encode(code)
  redis.call('HSET', KEYS[2], entry.field, record)
  revoked[#revoked + 1] = record
  revokedIds[code[$code.id]] = true
end

for _, entry in ipairs(codes) do
  local code = entry.code
  local kind = code[$code.kind]
  if kind == '$kind.temporaryBypass' then bypass = entry end
  local selected = mode == 'all' or (mode == 'id' and code[$code.id] == selector)
    or (mode == 'last' and issuedOfKind(code) and code[$code.issuedAt] == latest)
    or (mode == 'emergency' and (kind == '$kind.emergencyTokencode' or kind == '$kind.emergencyPasscode') and code[$code.expiresAt] > now)
  if selected and code[$code.revokedAt] == 0 then revoke(entry) end
end

if bypass and bypass.code[$code.revokedAt] == 0 and revokedIds[bypass.code[$code.source] or ''] then revoke(bypass) end
return revoked
