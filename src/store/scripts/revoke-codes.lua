-- Revokes one code by id, the last issued (every code of the most recent issue, since a
-- set of one-time codes is issued at once), all of a user's codes, or their outstanding
-- emergency codes (when a lost token is found). Atomic, so a code being consumed at the
-- same moment is either consumed or revoked, never both.
-- KEYS[2] codes hash   ARGV[1] 'id' | 'last' | 'all' | 'emergency'   ARGV[2] id
-- ARGV[3] now (ms)   ARGV[4] revoked by
-- Returns the records that were revoked by this call.
local mode, id, now, by = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local all = redis.call('HGETALL', KEYS[2])
local latest = -1
if mode == 'last' then
  for i = 2, #all, 2 do
    local issued = cjson.decode(all[i])[3]
    if issued > latest then latest = issued end
  end
end
local revoked = {}
for i = 1, #all, 2 do
  local code = cjson.decode(all[i + 1])
  local selected = mode == 'all' or (mode == 'id' and code[1] == id) or (mode == 'last' and code[3] == latest)
    or (mode == 'emergency' and (code[2] == 'ET' or code[2] == 'EP') and code[4] > now)
  if selected and code[8] == 0 then
    code[8] = now
    code[11] = by
    local record = cjson.encode(code)
    redis.call('HSET', KEYS[2], all[i], record)
    revoked[#revoked + 1] = record
  end
end
return revoked
