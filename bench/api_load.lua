-- bench/api_load.lua: the wrk script of bench/api_load.py (one endpoint per run).
--
-- Read from the environment (api_load.py sets it):
--   BENCH_METHOD  GET (default) or POST
--   BENCH_AUTH    an Authorization header value ("Bearer ...") or empty
--   BENCH_COOKIE  a Cookie header value (the storefront's pages) or empty
--   BENCH_BODY    the JSON body of a POST
--   BENCH_RUN     a name unique to this run: with the thread's number and a counter it
--                 makes each POST's Idempotency-Key unique across runs
-- done() prints one JSON line: requests, duration, p50/p99 latency in ms, and errors:
-- socket errors (connect, read, write, timeout) plus responses other than 2xx.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local run = os.getenv("BENCH_RUN") or "run"
local threads = {}
local fixed_request = nil

-- Globals of each thread, read back in done() with thread:get().
counter = 0
non_2xx = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  local auth = os.getenv("BENCH_AUTH") or ""
  local cookie = os.getenv("BENCH_COOKIE") or ""
  if auth ~= "" then wrk.headers["Authorization"] = auth end
  if cookie ~= "" then wrk.headers["Cookie"] = cookie end
  if method == "POST" then
    wrk.headers["Content-Type"] = "application/json"
  else
    fixed_request = wrk.format(method)  -- the same bytes every time
  end
end

function request()
  if fixed_request then return fixed_request end
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = run .. "-" .. thread_number .. "-" .. counter
  return wrk.format(method, nil, nil, body)
end

function response(status, headers, response_body)
  if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non_2xx") end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "socket_errors": %d, "non_2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    socket, bad, socket + bad))
end
