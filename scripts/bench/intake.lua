-- wrk script: each connection (one per thread) walks the whole intake path in a loop:
-- heart-file → agent (owner token) → verify (echo) → persona (owner token).
-- Run with -t N -c N so each thread owns exactly one connection and responses pair with
-- the requests that caused them.
--
-- Two modes:
--   closed loop (default): each connection sends its next request as soon as the last
--     one answers, so the load is whatever the venue can take (saturation);
--   open loop (RATE=<requests/s> in the environment): each connection sends on a fixed
--     schedule, RATE in all, and a request's latency is measured from when it was
--     *scheduled*, not from when it was sent, so a stall is charged to every request it
--     delays (the coordinated-omission correction of wrk2 and HdrHistogram).
-- Latencies are timed here (LuaJIT FFI clock_gettime) per step, written by each thread to
-- its own line-buffered file under $LATDIR (wrk cannot copy tables between threads), and
-- summed up in done().

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } ishtar_timespec;
  int clock_gettime(int clk_id, ishtar_timespec *tp);
]]
local ts = ffi.new("ishtar_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local RATE = tonumber(os.getenv("RATE") or "")
local THREADS = tonumber(os.getenv("THREADS") or "32") -- wrk's -t, for the open-loop pace
local LATDIR = os.getenv("LATDIR") or "/tmp"
local function latfile(id) return string.format("%s/ishtar-wrk-%d.lat", LATDIR, id) end
local STEPS = { "heart-file", "agent", "verify", "persona" }

-- Handles must be new on every run against the same database.
local RUN = os.time() % 100000000
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local heart = '{"ageAttested":true,"homeMarket":"bay_area","activeMarket":"remote",' ..
  '"contactRef":"tg:@bench_alias","heart":{"about":"I bake sourdough and read old science fiction on the porch.",' ..
  '"seeking":"someone kind and curious","prefs":{"self":{"gender":"woman","age":31},"seek":{"genders":["man"],"ageMin":28,"ageMax":40}}}}'

function init(args)
  step = 1
  n = 0
  owner, token, endpoint, nonce = nil, nil, nil, nil
  errors = 0
  out = assert(io.open(latfile(tid), "w"))
  out:setvbuf("line")
  sent_at, sched_at = 0, 0
  if RATE then
    -- Every thread owns one connection and sends RATE / threads requests a second,
    -- its schedule shifted by its share of one interval so the threads do not burst.
    interval = 1e6 * THREADS / RATE
    next_at = now_us() + interval * (tid / THREADS)
  end
end

if RATE then
  function delay()
    local wait = (next_at - now_us()) / 1000
    if wait < 0 then return 0 end
    return math.floor(wait)
  end
end

local json = { ["content-type"] = "application/json" }

function request()
  sent_at = now_us()
  if RATE then
    sched_at = next_at
    next_at = next_at + interval
  else
    sched_at = sent_at
  end
  if step == 1 then
    return wrk.format("POST", "/api/intake/heart-file", json, heart)
  elseif step == 2 then
    local h = { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. token }
    return wrk.format("POST", "/api/intake/agent", h, '{"ownerId":' .. owner .. ',"runtime":"claude"}')
  elseif step == 3 then
    return wrk.format("POST", "/api/intake/agent/verify", json,
      '{"endpointId":' .. endpoint .. ',"echoToken":"' .. nonce .. '"}')
  else
    n = n + 1
    local h = { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. token }
    local body = '{"handle":"b' .. RUN .. '_' .. tid .. '_' .. n .. '","model":"bench","persona_age":"18+","ownerId":' .. owner ..
      ',"heart":{"about":"I bake sourdough and read old science fiction on the porch."}}'
    return wrk.format("POST", "/api/personas", h, body)
  end
end

function response(status, headers, body)
  local t = now_us()
  -- A request sent late (its predecessor answered after its slot) still counts from its slot.
  local started = math.min(sched_at, sent_at)
  out:write(step, " ", math.floor(t - started), "\n")
  if status ~= 200 then
    errors = errors + 1
    step = 1
    return
  end
  if step == 1 then
    owner = body:match('"ownerId":(%d+)')
    token = body:match('"ownerToken":"([^"]+)"')
    step = 2
  elseif step == 2 then
    endpoint = body:match('"id":(%d+)')
    nonce = body:match('"challengeNonce":"([^"]+)"')
    step = 3
  elseif step == 3 then
    step = 4
  else
    step = 1
  end
end

local function pct(sorted, p)
  if #sorted == 0 then return 0 end
  local i = math.ceil(#sorted * p / 100)
  if i < 1 then i = 1 end
  return sorted[i] / 1000
end

function done(summary, latency, requests)
  local errs, all, per = 0, {}, { {}, {}, {}, {} }
  for i, t in ipairs(threads) do
    errs = errs + (t:get("errors") or 0)
    local f = io.open(latfile(i), "r")
    if f then
      for line in f:lines() do
        local s, v = line:match("^(%d) (%d+)$")
        if s then
          s, v = tonumber(s), tonumber(v)
          all[#all + 1] = v
          per[s][#per[s] + 1] = v
        end
      end
      f:close()
      os.remove(latfile(i))
    end
  end
  table.sort(all)
  io.write(string.format("mode %s\n", RATE and string.format("open loop, %d requests/s offered", RATE) or "closed loop"))
  io.write(string.format("non-200 responses: %d\n", errs))
  io.write(string.format("requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f\np90_ms %.2f\np99_ms %.2f\np99.9_ms %.2f\n",
    pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 99.9)))
  for s = 1, 4 do
    table.sort(per[s])
    io.write(string.format("  %-10s n=%-6d p50 %.2f  p90 %.2f  p99 %.2f ms\n", STEPS[s], #per[s],
      pct(per[s], 50), pct(per[s], 90), pct(per[s], 99)))
  end
end
