#include "metrics.h"

#include <cstdio>
#include <tuple>

namespace crema::server {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::record_request(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_ingested(const std::string& outcome, uint64_t n) {
  std::lock_guard lock(mu_);
  ingested_[outcome] += n;
}

void Metrics::add_error(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++errors_[kind];
}

void Metrics::set_gauge(const std::string& name, double value) {
  std::lock_guard lock(mu_);
  gauges_[name] = value;
}

void Metrics::add_gauge(const std::string& name, double delta) {
  std::lock_guard lock(mu_);
  gauges_[name] += delta;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string o;
  o += "# HELP crema_http_requests_total HTTP requests by route, method and status.\n";
  o += "# TYPE crema_http_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    const auto& [route, method, status] = k;
    o += "crema_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",code=\"" +
         std::to_string(status) + "\"} " + std::to_string(v) + "\n";
  }
  o += "# HELP crema_http_request_duration_seconds Time to answer, by route (SSE streams excluded).\n";
  o += "# TYPE crema_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      o += "crema_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + num(kBuckets[i]) + "\"} " +
           std::to_string(h.counts[i]) + "\n";
    }
    o += "crema_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    o += "crema_http_request_duration_seconds_sum{route=\"" + route + "\"} " + num(h.sum) + "\n";
    o += "crema_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
  }
  o += "# HELP crema_ingest_posts_total Posts received by POST /v1/posts, by outcome.\n";
  o += "# TYPE crema_ingest_posts_total counter\n";
  for (const char* outcome : {"stored", "duplicate", "rejected"}) {
    auto it = ingested_.find(outcome);
    o += std::string("crema_ingest_posts_total{outcome=\"") + outcome + "\"} " +
         std::to_string(it == ingested_.end() ? 0 : it->second) + "\n";
  }
  o += "# HELP crema_errors_total Internal errors (store, pipeline) by kind.\n";
  o += "# TYPE crema_errors_total counter\n";
  for (const auto& [k, v] : errors_) o += "crema_errors_total{kind=\"" + k + "\"} " + std::to_string(v) + "\n";
  for (const auto& [name, v] : gauges_) {
    o += "# TYPE " + name + " gauge\n" + name + " " + num(v) + "\n";
  }
  return o;
}

}  // namespace crema::server
