-- wrk script: POST the same dating doc over and over (one new owner per request).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"ageAttested":true,"homeMarket":"bay_area","activeMarket":"remote",' ..
  '"contactRef":"tg:@bench_alias","heart":{"about":"I bake sourdough and read old science fiction on the porch.",' ..
  '"seeking":"someone kind and curious","prefs":{"self":{"gender":"woman","age":31},"seek":{"genders":["man"],"ageMin":28,"ageMax":40}}}}'

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f\np90_ms %.2f\np99_ms %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("non-2xx %d\n", summary.errors.status))
end
