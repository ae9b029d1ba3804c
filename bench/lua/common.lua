-- Shared by every bench script: a per-thread tally of response statuses (and any label a
-- script counts), and one machine-readable summary line for bench/run.py:
--   WRKJSON {"requests":..,"rps":..,"p50_ms":..,...,"tally":{"200":n,...}}
threads = {}
tally = {}

function count(label)
  tally[label] = (tally[label] or 0) + 1
end

setup = function(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

response = function(status, headers, body)
  count(tostring(status))
end

done = function(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("tally")) do agg[k] = (agg[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(agg) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"bytes":%d,"rps":%.2f,' ..
    '"lat_mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"tally":{%s}}\n',
    summary.requests, secs, summary.bytes, summary.requests / secs,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
