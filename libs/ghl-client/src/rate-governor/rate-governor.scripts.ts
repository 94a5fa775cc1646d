/**
 * The governor's state lives in Redis so that every worker of every replica spends one budget.
 * Both scripts read the clock with TIME, so replicas with skewed clocks still agree.
 *
 * KEYS[1] burst window: a sorted set of calls by slot id, scored by grant time (ms) until the
 *         answer comes, then by answer time: GHL counted the call at some moment in between, so
 *         a slot frees one window after the answer, whatever the latency was
 * KEYS[2] state hash: day, dayUsed, pauseUntil, and the limits GHL announced (burstMax, windowMs,
 *         dailyMax)
 * KEYS[3] realtime waiters: a sorted set of waiter ids scored by when they stop waiting (ms)
 */

const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function limit(field, configured)
  local announced = tonumber(redis.call('HGET', KEYS[2], field) or '')
  if announced and announced > 0 and announced < configured then return announced end
  return configured
end
`;

/**
 * ARGV: burstLimit, windowMs, dailyLimit, reserveShare, priority, waiterId, marginMs, slots,
 *       leaseMs
 * Returns { waitMs, reason, granted }: waitMs 0 means `granted` calls (at least one, at most
 * `slots`) were granted and counted, as members `<waiterId>:1…granted`. A batch never takes more
 * than a tenth of the burst (nor more than is left of it or of the day), and its slots are scored
 * at the end of their lease: a slot used late in its lease still frees a window after its use.
 */
export const ACQUIRE_SCRIPT = `${CLOCK}
local burstLimit = limit('burstMax', tonumber(ARGV[1]))
local window = limit('windowMs', tonumber(ARGV[2])) + tonumber(ARGV[7])
local dailyLimit = limit('dailyMax', tonumber(ARGV[3]))
local isRealtime = ARGV[5] == 'realtime'
local waiter = ARGV[6]

local pauseUntil = tonumber(redis.call('HGET', KEYS[2], 'pauseUntil') or '0')
if pauseUntil > now then return { pauseUntil - now, 'paused' } end

local day = math.floor(now / 86400000)
local dayUsed = 0
if tonumber(redis.call('HGET', KEYS[2], 'day') or '-1') == day then
  dayUsed = tonumber(redis.call('HGET', KEYS[2], 'dayUsed') or '0')
else
  redis.call('HSET', KEYS[2], 'day', day, 'dayUsed', 0)
end
local dailyAllowed = dailyLimit
if not isRealtime then dailyAllowed = math.floor(dailyLimit * (1 - tonumber(ARGV[4]))) end
if dayUsed >= dailyAllowed then return { (day + 1) * 86400000 - now, 'daily' } end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local nextFree = 0
if used >= burstLimit then
  local freeing = redis.call('ZRANGE', KEYS[1], used - burstLimit, used - burstLimit, 'WITHSCORES')
  nextFree = math.max(1, tonumber(freeing[2]) + window - now)
end

redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if isRealtime then
  if nextFree > 0 then
    redis.call('ZADD', KEYS[3], now + nextFree + 1000, waiter)
    redis.call('PEXPIRE', KEYS[3], nextFree + 2000)
    return { nextFree, 'burst' }
  end
  redis.call('ZREM', KEYS[3], waiter)
else
  -- Reconciliation yields while real-time work waits, and comes back just after it.
  local realtimeWaiting = redis.call('ZCARD', KEYS[3]) > 0
  if nextFree > 0 then return { nextFree + 25, 'burst' } end
  if realtimeWaiting then return { 25, 'yield' } end
end

local lease = tonumber(ARGV[9] or '0')
local granted = math.min(tonumber(ARGV[8] or '1'), burstLimit - used, dailyAllowed - dayUsed,
  math.max(1, math.floor(burstLimit / 10)))
local members = {}
for i = 1, granted do
  members[#members + 1] = now + lease
  members[#members + 1] = waiter .. ':' .. i
end
redis.call('ZADD', KEYS[1], unpack(members))
redis.call('PEXPIRE', KEYS[1], (window + lease) * 2)
redis.call('HINCRBY', KEYS[2], 'dayUsed', granted)
redis.call('PEXPIRE', KEYS[2], 2 * 86400000)
return { 0, 'granted', granted }
`;

/**
 * ARGV: status, remaining, burstMax, intervalMs, dailyRemaining, dailyMax, windowMs (configured),
 *       marginMs, slot id; a header GHL did not send (or a slot not known) is ''.
 * Raises the shared counts to what GHL says it has seen (never lowers them), remembers the
 * limits GHL announces, and on 429 pauses the location for one whole window.
 */
export const OBSERVE_SCRIPT = `${CLOCK}
local status = tonumber(ARGV[1])
local remaining = tonumber(ARGV[2])
local burstMax = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local dailyRemaining = tonumber(ARGV[5])
local dailyMax = tonumber(ARGV[6])
if burstMax then redis.call('HSET', KEYS[2], 'burstMax', burstMax) end
if interval then redis.call('HSET', KEYS[2], 'windowMs', interval) end
if dailyMax then redis.call('HSET', KEYS[2], 'dailyMax', dailyMax) end
local window = interval or tonumber(ARGV[7])
if ARGV[9] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[9])
  redis.call('PEXPIRE', KEYS[1], (window + tonumber(ARGV[8])) * 2)
end

if status == 429 then
  local pauseUntil = now + window + tonumber(ARGV[8])
  local current = tonumber(redis.call('HGET', KEYS[2], 'pauseUntil') or '0')
  if pauseUntil > current then redis.call('HSET', KEYS[2], 'pauseUntil', pauseUntil) end
end

if remaining and burstMax then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window - tonumber(ARGV[8]))
  local missing = (burstMax - remaining) - redis.call('ZCARD', KEYS[1])
  for i = 1, missing do redis.call('ZADD', KEYS[1], now, now .. ':ghl:' .. i) end
  if missing > 0 then redis.call('PEXPIRE', KEYS[1], window * 2) end
end

if dailyRemaining and dailyMax then
  local day = math.floor(now / 86400000)
  local dayUsed = 0
  if tonumber(redis.call('HGET', KEYS[2], 'day') or '-1') == day then
    dayUsed = tonumber(redis.call('HGET', KEYS[2], 'dayUsed') or '0')
  end
  local seen = dailyMax - dailyRemaining
  if seen > dayUsed then redis.call('HSET', KEYS[2], 'day', day, 'dayUsed', seen) end
end
redis.call('PEXPIRE', KEYS[2], 2 * 86400000)
return 1
`;
