// apps/server/metrics.h: counters and latency histograms for GET /metrics (Prometheus text
// exposition format 0.0.4). Thread-safe; recording is a mutex-protected map update.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

namespace crema::server {

class Metrics {
 public:
  // One HTTP request: route label ("/v1/requests/{id}/matches"), method, status, seconds.
  void record_request(const std::string& route, const std::string& method, int status, double seconds);
  // Posts through POST /v1/posts by outcome ("stored", "duplicate", "rejected").
  void add_ingested(const std::string& outcome, uint64_t n);
  void add_error(const std::string& kind);  // internal errors by kind ("store", "pipeline", …)
  void set_gauge(const std::string& name, double value);
  void add_gauge(const std::string& name, double delta);

  // The exposition text.
  std::string render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, uint64_t> ingested_, errors_;
  std::map<std::string, double> gauges_;
};

}  // namespace crema::server
