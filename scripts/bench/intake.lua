-- wrk script: each connection (one per thread) walks the whole intake path in a loop:
-- heart-file → agent (owner token) → verify (echo) → persona (owner token).
-- Run with -t N -c N so each thread owns exactly one connection and responses pair with
-- the requests that caused them.

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
end

local json = { ["content-type"] = "application/json" }

function request()
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
    local body = '{"handle":"b' .. tid .. '_' .. n .. '","model":"bench","persona_age":"18+","ownerId":' .. owner ..
      ',"heart":{"about":"I bake sourdough and read old science fiction on the porch."}}'
    return wrk.format("POST", "/api/personas", h, body)
  end
end

function response(status, headers, body)
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

function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + (t:get("errors") or 0) end
  io.write(string.format("non-200 responses: %d\n", errs))
  io.write(string.format("p50_ms %.2f\np90_ms %.2f\np99_ms %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
end
