// apps/server/server.h: crema-server, the HTTP adapter over include/crema/ (LivePipeline for
// ingest, matching and decisions; Store for API keys; QueryDb for reads). Routes, roles
// and formats: docs/server.md and openapi.json.
//
// Threads: httplib's worker pool (config.threads) runs the handlers, one connection per
// worker while it is open; ingest and decisions are serialised inside LivePipeline (batches
// POSTed at the same time are ingested together, one transaction: group commit), reads run
// concurrently on QueryDb's connections, and one maintenance thread advances the live clock
// so requests expire when the stream pauses.
#pragma once

#include <memory>

#include "config.h"
#include "crema/common/result.h"

namespace crema::server {

class ApiServer {
 public:
  // Opens the store (created if missing), loads the models and rebuilds the live state.
  static Result<std::unique_ptr<ApiServer>> create(const ServerConfig& config);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 picks a free one) and returns the port; writes port_file.
  Result<int> bind();
  // Serves until stop(); then closes the pipeline, which commits and finishes the run.
  Status serve();
  // Asks serve() to return: open SSE streams end, in-flight requests finish. Thread-safe.
  void stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::server
