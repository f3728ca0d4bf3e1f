#include "config.h"

#include <simdjson.h>

#include <string_view>

#include "crema/common/time.h"

namespace crema::server {
namespace {

Status bad(const std::string& path, std::string_view key, std::string_view want) {
  return make_error(ErrorCode::kParseError,
                    path + ": config key '" + std::string(key) + "' must be " + std::string(want));
}

}  // namespace

Status load_config_file(const std::string& path, ServerConfig& c) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kNotFound, path + ": cannot read the config file");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc); err != simdjson::SUCCESS) {
    return make_error(ErrorCode::kParseError, path + ": invalid JSON (" + simdjson::error_message(err) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kParseError, path + ": the config must be a JSON object");
  }
  for (auto [k, v] : obj) {
    const std::string_view key = k;
    auto str = [&](std::string& out) -> Status {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return bad(path, key, "a string");
      out = std::string(s);
      return {};
    };
    auto integer = [&](auto& out, int64_t lo, int64_t hi) -> Status {
      int64_t n = 0;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < lo || n > hi) {
        return bad(path, key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(n);
      return {};
    };
    auto number = [&](double& out) -> Status {
      if (v.get_double().get(out) != simdjson::SUCCESS) return bad(path, key, "a number");
      return {};
    };
    auto boolean = [&](bool& out) -> Status {
      if (v.get_bool().get(out) != simdjson::SUCCESS) return bad(path, key, "true or false");
      return {};
    };
    Status st;
    if (key == "db_path") st = str(c.db_path);
    else if (key == "host") st = str(c.host);
    else if (key == "port") st = integer(c.port, 0, 65535);
    else if (key == "port_file") st = str(c.port_file);
    else if (key == "tls_cert") st = str(c.tls_cert);
    else if (key == "tls_key") st = str(c.tls_key);
    else if (key == "max_body_bytes") st = integer(c.max_body_bytes, 1, int64_t{1} << 34);
    else if (key == "max_batch") st = integer(c.max_batch, 1, 1'000'000);
    else if (key == "rate_per_s") st = number(c.rate_per_s);
    else if (key == "rate_burst") st = number(c.rate_burst);
    else if (key == "threads") st = integer(c.threads, 1, 1024);
    else if (key == "read_timeout_s") st = integer(c.read_timeout_s, 1, 3600);
    else if (key == "write_timeout_s") st = integer(c.write_timeout_s, 1, 3600);
    else if (key == "sse_poll_ms") st = integer(c.sse_poll_ms, 10, 60'000);
    else if (key == "sse_heartbeat_s") st = integer(c.sse_heartbeat_s, 1, 3600);
    else if (key == "max_sse_clients") st = integer(c.max_sse_clients, 0, 1000);
    else if (key == "cors_origin") st = str(c.cors_origin);
    else if (key == "delta_time") st = str(c.delta_time);
    else if (key == "delta_km") st = number(c.delta_km);
    else if (key == "top_n") st = integer(c.top_n, 1, 100);
    else if (key == "allow_unlocated") st = boolean(c.allow_unlocated);
    else if (key == "pipeline_threads") st = integer(c.pipeline_threads, 0, 1024);
    else if (key == "wall_clock_expiry") st = boolean(c.wall_clock_expiry);
    else return make_error(ErrorCode::kParseError, path + ": unknown config key '" + std::string(key) + "'");
    if (!st) return st;
  }
  return {};
}

Status validate_config(const ServerConfig& c) {
  auto invalid = [](const std::string& m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (c.db_path.empty()) return invalid("--db is required");
  if (c.port < 0 || c.port > 65535) return invalid("--port must be 0 … 65535");
  if (c.tls_cert.empty() != c.tls_key.empty()) return invalid("--tls-cert and --tls-key go together");
  if (c.max_body_bytes < 1024) return invalid("max_body_bytes must be at least 1024");
  if (c.max_batch < 1) return invalid("max_batch must be at least 1");
  if (!(c.rate_per_s > 0) || !(c.rate_burst >= 1)) return invalid("rate_per_s must be > 0 and rate_burst >= 1");
  if (c.threads < 2) return invalid("threads must be at least 2");
  if (c.max_sse_clients >= c.threads) return invalid("max_sse_clients must be below threads (each stream holds a thread)");
  if (!(c.delta_km > 0)) return invalid("delta_km must be > 0");
  if (auto d = parse_duration(c.delta_time); !d || *d <= 0) return invalid("delta_time must be a duration like 30d or 12h");
  return {};
}

}  // namespace crema::server
