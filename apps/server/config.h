// apps/server/config.h: crema-server's settings, from a JSON config file and flags (flags
// win). Keys and defaults: docs/server.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "crema/common/result.h"

namespace crema::server {

struct ServerConfig {
  std::string db_path;
  std::string host = "127.0.0.1";         // loopback unless told otherwise
  int port = 8080;                        // 0 = any free port (see port_file)
  std::string port_file;                  // written with the bound port once listening
  std::string tls_cert, tls_key;          // PEM files; both set = HTTPS
  size_t max_body_bytes = size_t{4} << 20;  // larger bodies get 413
  size_t max_batch = 1000;                // posts per POST /v1/posts; more = 413
  double rate_per_s = 50;                 // per-key token bucket refill (requests/s)
  double rate_burst = 200;                // bucket size
  int threads = 64;                       // HTTP worker threads: one per open connection (keep-alive, SSE)
  int read_timeout_s = 10, write_timeout_s = 10;
  int sse_poll_ms = 250;                  // how often /v1/events looks for new rows
  int sse_heartbeat_s = 15;               // comment line to keep proxies from closing idle streams
  int max_sse_clients = 8;                // more get 503
  std::string cors_origin;                // empty = CORS off (same-origin only)
  // Live matching (engine::LiveOptions).
  std::string delta_time = "30d";
  double delta_km = 10;
  int top_n = 3;
  bool allow_unlocated = false;
  int pipeline_threads = 0;               // 0 = all cores
  bool wall_clock_expiry = false;         // also expire by wall time (a stream that pauses); off: stream clock only
};

// Reads a JSON object whose keys are the field names above (unknown keys are an error,
// naming the key). Errors: kNotFound / kIoError for the file, kParseError for bad JSON or a
// value of the wrong type.
Status load_config_file(const std::string& path, ServerConfig& config);

// Checks ranges (port, sizes, rates, both or neither TLS file). kInvalidArgument naming
// the setting.
Status validate_config(const ServerConfig& config);

}  // namespace crema::server
