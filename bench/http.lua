-- wrk script of bench/http.py: every request carries a bearer token and an Idempotency-Key
-- unique to the run, the wrk thread and the request (prefix-thread-counter); "post" mode sends
-- a one-unit receipt of one of `items` SKUs to POST /v1/movements, "health" mode the same
-- headers to GET /v1/health. Every response outside 2xx is counted by status, and the first one
-- is kept with its body; done() prints one line for bench/http.py to parse.
--
--   wrk -t1 -c32 -d10s -s bench/http.lua http://127.0.0.1:8000 -- <prefix> <token> post|health <items>

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  mode = args[3]
  items = tonumber(args[4])
  counter = 0
  non2xx = 0
  codes = {}
  first = ""
  headers = {}
  headers["Authorization"] = "Bearer " .. args[2]
  headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  if mode == "health" then
    return wrk.format("GET", "/v1/health", headers)
  end
  local sku = string.format("BENCH-%04d", (counter * 31 + tid * 17) % items)
  local body = '{"kind": "receipt", "sku": "' .. sku .. '", "qty": 1, "location": "WH1"}'
  return wrk.format("POST", "/v1/movements", headers, body)
end

function response(status, _, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    codes[status] = (codes[status] or 0) + 1
    if first == "" then
      first = status .. " " .. (body or "")
    end
  end
end

function done(summary, latency, _)
  local bad, first_error, all = 0, "", {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    local seen = thread:get("first")
    if first_error == "" and seen ~= nil then
      first_error = seen
    end
    for code, n in pairs(thread:get("codes")) do
      all[code] = (all[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(all) do
    table.insert(parts, code .. ":" .. n)
  end
  local e = summary.errors
  io.write(string.format(
    "ONHAND requests=%.0f duration_us=%.0f non2xx=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "connect=%.0f read=%.0f write=%.0f timeout=%.0f codes=%s\n",
    summary.requests, summary.duration, bad, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
  io.write("ONHAND_FIRST_ERROR " .. (first_error:gsub("[\r\n]+", " ")) .. "\n")
end
