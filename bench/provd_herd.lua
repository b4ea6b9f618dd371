-- wrk script for bench/provd.sh: each request carries the next token of a
-- list (one token = one simulated CE), thread t walking t, t+T, t+2T, ...
-- so that no two requests in the first N share a token. done() prints the
-- latency percentiles and how many distinct CEs were served.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  nthreads = tonumber(args[2])
  base = args[3]
  i = id
  n = 0
end

function request()
  local t = tokens[(i % #tokens) + 1]
  i = i + nthreads
  return wrk.format("GET", base .. "&token=" .. t)
end

function response(status, headers, body)
  if status == 200 and body:find('"token"', 1, true) then n = n + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("n") end
  -- thread t walked tokens t, t+T, ...: the first N answers are N distinct CEs
  local ntok = 0
  for _ in io.lines(os.getenv("HERD_TOKENS")) do ntok = ntok + 1 end
  -- answered 200 with the token echoed: a CE identified by its token
  local distinct = math.min(total, ntok)
  io.write(string.format("  %d requests in %.1f s (%.0f req/s), %d distinct CEs identified by token, errors %d (non-2xx %d)\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    distinct, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
  io.write(string.format("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
