-- wrk script for bench/serve.sh: POST one fixed 1-row infer request (z: 100 floats) as
-- JSON, or with binary tensor data when SERVE_BODY names a prepared body file, to the URL
-- given to wrk (…/v2/models/NAME/infer), count the answers by status in each
-- thread, stop a thread after its share of `wrk … -- MAX_REQUESTS_PER_THREAD` answers,
-- and print one machine-readable `wrk-result key=value …` line in done().

local z = {}
for i = 0, 99 do
   -- fixed values in [-1, 1), the same on every run
   z[#z + 1] = string.format("%.6f", ((i * 37) % 200) / 100 - 1)
end
wrk.method = "POST"
local body_file = os.getenv("SERVE_BODY")
if body_file then
   -- Binary tensor data: a prepared body (JSON head, then the floats) and its head's length.
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.headers["Content-Type"] = "application/octet-stream"
   wrk.headers["Inference-Header-Content-Length"] = assert(os.getenv("SERVE_JSON_LENGTH"))
else
   wrk.headers["Content-Type"] = "application/json"
   wrk.body = '{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[' .. table.concat(z, ",") .. ']}]}'
end

-- Every thread's Lua state, to read its counts in done() (the usual setup() trick).
local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   answers = 0
   max_answers = tonumber(args[1]) or 1000000
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   answers = answers + 1
   if answers >= max_answers then
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local by_status = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + n
      end
   end
   local ok, s503, other = by_status[200] or 0, by_status[503] or 0, 0
   local codes = {}
   for status, n in pairs(by_status) do
      if status ~= 200 and status ~= 503 then other = other + n end
      codes[#codes + 1] = status .. ":" .. n
   end
   local e = summary.errors
   io.write(string.format(
      "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d s200=%d s503=%d sother=%d "
         .. "connect=%d read=%d write=%d timeout=%d statuses=%s\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      ok, s503, other, e.connect, e.read, e.write, e.timeout, table.concat(codes, ",")))
end
