-- wrk script for the nginx reference of the LL-HLS viewers: a server that cannot block gets
-- the same bursts when every connection fetches the playlist and then the part at each
-- part-duration boundary of the system-wide monotonic clock (as LL-HLS players woken by the
-- same new part do, and as bench/ll_load.py's static players do), the two pipelined.
-- Usage: wrk -t2 -cN -dS --latency -s bench/paced_viewers.lua URL -- PLAYLIST PART PERIOD_MS
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } sender_timespec;
int clock_gettime(int clock, sender_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("sender_timespec")
local playlist, part, period = "/", "/", 500
local pair = nil

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
  playlist, part, period = args[1], args[2], tonumber(args[3])
  -- one request of wrk's is the pair, pipelined (Lua state is per thread, not per
  -- connection, so a connection cannot alternate on its own); its latency is the pair's
  pair = wrk.format("GET", playlist) .. wrk.format("GET", part)
end

function delay()
  local now = now_ms()
  return math.ceil(now / period) * period - now
end

function request()
  return pair
end
