-- wrk script: every connection is an LL-HLS viewer at the live edge. It alternates a blocking
-- reload for the part after the newest the thread knows (_HLS_msn/_HLS_part) and a fetch of
-- the newest part. Playlists are read with Lua patterns; positions only move forward.
-- Usage: wrk -t2 -cN -dS --timeout 10s -s bench/ll_viewers.lua http://edge/sender/hls/SLUG/
local msn, nparts, newest = -1, 0, nil
local calls = 0
local prefix = nil

function setup(thread) end

function init(args)
  prefix = wrk.path
end

function request()
  calls = calls + 1
  if newest ~= nil and calls % 2 == 0 then
    return wrk.format("GET", prefix .. newest)
  end
  if msn < 0 then
    return wrk.format("GET", prefix .. "live.m3u8")
  end
  return wrk.format("GET", prefix .. "live.m3u8?_HLS_msn=" .. msn .. "&_HLS_part=" .. nparts)
end

function response(status, headers, body)
  if status ~= 200 or body:sub(1, 7) ~= "#EXTM3U" then
    return
  end
  local seq = tonumber(body:match("#EXT%-X%-MEDIA%-SEQUENCE:(%d+)"))
  if seq == nil then
    return
  end
  local segments, last = 0, 1
  for pos in body:gmatch("()#EXTINF") do
    segments = segments + 1
    last = pos
  end
  local tail = body
  if segments > 0 then
    local uri_end = body:find("\n", body:find("\n", last) + 1) or #body
    tail = body:sub(uri_end)
  end
  local open = 0
  for _ in tail:gmatch("#EXT%-X%-PART:") do
    open = open + 1
  end
  local next_msn = seq + segments
  if next_msn > msn or (next_msn == msn and open > nparts) then
    msn, nparts = next_msn, open
    for uri in body:gmatch('#EXT%-X%-PART:[^\n]*URI="([^"]+)"') do
      newest = uri
    end
  end
end
