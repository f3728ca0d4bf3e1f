#include "server.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "assets.h"
#include "crema/analyse/countries.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/time.h"
#include "crema/ingest/reader.h"
#include "crema/live.h"
#include "crema/store/query.h"
#include "crema/store/store.h"
#include "crema/text/normalize.h"
#include "metrics.h"
#include "pii.h"
#include "rate_limit.h"

namespace crema::server {
namespace {

using Clock = std::chrono::steady_clock;
using store::Role;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the pre-routing handler learnt about the caller; the handler runs on the same thread.
struct CallContext {
  Clock::time_point start;
  std::optional<store::ApiKeyInfo> key;
  bool streaming = false;
};
thread_local CallContext t_call;

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParseError:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnsupported:
      return 501;
    default:
      return 500;
  }
}

void send_json(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(body), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().key("code").value(code).key("message").value(message).end_object().end_object();
  send_json(res, status, w.take());
}

void send_error(httplib::Response& res, const Error& e) {
  send_error(res, http_status(e.code), error_code_name(e.code), e.message);
}

std::string sha256_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// Route label for metrics: ids replaced by {id}.
std::string route_label(const std::string& path) {
  if (!path.starts_with("/v1/")) {
    if (path == "/healthz" || path == "/metrics") return path;
    return "static";
  }
  std::string out;
  size_t i = 0;
  int seg = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i + 1);
    if (j == std::string::npos) j = path.size();
    const std::string part = path.substr(i, j - i);
    // /v1/<collection>/<id>/...: the third segment is an id.
    out += (seg == 2) ? std::string("/{id}") : part;
    i = j;
    ++seg;
  }
  return out;
}

const std::set<std::string>& stop_words() {
  static const std::set<std::string> kWords = {
      "the", "and", "for", "you", "are", "with", "this", "that", "have", "has", "from", "our", "your", "all",
      "can", "will", "not", "but", "who", "any", "out", "get", "was", "were", "they", "them", "their", "there",
      "here", "what", "when", "where", "how", "about", "please", "pls", "plz", "need", "needs", "needed", "help",
      "httpurl", "user", "amp", "via", "its", "it's", "just", "now", "more", "some", "also", "one", "his", "her",
      "she", "him", "been", "into", "than", "then", "those", "these", "rt", "des", "les", "por", "para", "los",
      "las", "con", "una", "que", "del"};
  return kWords;
}

// Content words both texts share, in the request's order (the "why" of S_text).
std::vector<std::string> shared_words(const std::string& request, const std::string& offer) {
  const auto offer_tokens = text::word_tokens(offer);
  const std::set<std::string> in_offer(offer_tokens.begin(), offer_tokens.end());
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& t : text::word_tokens(request)) {
    if (t.size() < 3 || stop_words().contains(t) || !in_offer.contains(t) || !seen.insert(t).second) continue;
    out.push_back(t);
    if (out.size() == 12) break;
  }
  return out;
}

// Urgency for sorting the list: how sure the classifier is that this is a request, times
// how time-critical its resources are, times how open it still is. [0, 1].
double urgency(const store::PostRow& p) {
  double need = std::max(p.probs[0], p.probs[2]);
  if (p.label == "request" || p.label == "request_and_offer") need = std::max(need, 0.5);
  double critical = 0.5;
  for (const auto& r : p.resources) {
    double w = 0.5;
    if (r == "blood" || r == "medical") w = 1.0;
    else if (r == "water" || r == "food" || r == "shelter") w = 0.85;
    else if (r == "transport" || r == "power" || r == "clothing") w = 0.7;
    else if (r == "volunteers" || r == "money") w = 0.55;
    critical = std::max(critical, w);
  }
  double open = 1.0;
  if (p.status == "partly_served") open = 0.7;
  else if (p.status != "open") open = 0.1;
  return need * critical * open;
}

// `{"quantities": [...]}` etc. from the extraction JSON, or "" when absent.
std::string extraction_member(const std::string& json, std::string_view member) {
  if (json.empty()) return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc, v;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return {};
  if (doc.at_key(member).get(v) != simdjson::SUCCESS) return {};
  return simdjson::minify(v);
}

void write_post(JsonWriter& w, const store::PostRow& p, bool viewer) {
  w.begin_object();
  w.key("id").value(p.id);
  w.key("created_at").value(format_timestamp(p.created_at_ms));
  w.key("created_at_ms").value(p.created_at_ms);
  w.key("label").value(p.label);
  w.key("probs").begin_object();
  w.key("request").value(static_cast<double>(p.probs[0])).key("offer").value(static_cast<double>(p.probs[1]));
  w.key("request_and_offer").value(static_cast<double>(p.probs[2]));
  w.key("irrelevant").value(static_cast<double>(p.probs[3])).end_object();
  w.key("lang").value(p.lang);
  w.key("text").value(viewer ? mask_pii(p.text) : p.text);
  w.key("resources").begin_array();
  for (const auto& r : p.resources) w.value(r);
  w.end_array();
  if (p.geo) {
    w.key("lat").value(p.geo->lat).key("lon").value(p.geo->lon);
  } else {
    w.key("lat").null().key("lon").null();
  }
  w.key("geo_source").value(p.geo_source);
  w.key("radius_km").value(p.geo_radius_km);
  w.key("place").value(p.place);
  w.key("user").value(viewer ? mask_handle(p.user) : p.user);
  w.key("user_location").value(viewer ? std::string() : p.user_location);
  w.key("country").value(p.country);
  if (p.duplicate_of.empty()) w.key("duplicate_of").null();
  else w.key("duplicate_of").value(p.duplicate_of);
  w.key("status").value(p.status);
  if (p.status_changed_at_ms > 0) w.key("status_changed_at").value(format_timestamp(p.status_changed_at_ms));
  else w.key("status_changed_at").null();
  w.key("n_matches").value(static_cast<uint64_t>(p.n_matches));
  w.key("best_score").value(static_cast<double>(p.best_score));
  w.key("urgency").value(std::round(urgency(p) * 1000) / 1000);
  if (p.extraction_json.empty()) {
    w.key("extraction").null();
  } else {
    w.key("extraction").raw(viewer ? mask_json_for_viewer(p.extraction_json) : p.extraction_json);
  }
  w.end_object();
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const char* content_type_for(std::string_view url) {
  if (url == "/" || url.ends_with(".html")) return "text/html; charset=utf-8";
  if (url.ends_with(".js")) return "application/javascript; charset=utf-8";
  if (url.ends_with(".css")) return "text/css; charset=utf-8";
  if (url.ends_with(".json") || url.ends_with(".geojson")) return "application/json";
  return "text/plain; charset=utf-8";
}

}  // namespace

struct ApiServer::Impl {
  ServerConfig config;
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<engine::LivePipeline> live;
  std::unique_ptr<store::Store> keys;  // API keys (its own connection)
  std::mutex keys_mu;
  std::unique_ptr<store::QueryDb> query;
  RateLimiter limiter;
  Metrics metrics;
  std::atomic<bool> stopping{false};
  std::atomic<int> sse_clients{0};
  std::atomic<int> ingest_inflight{0};
  Clock::time_point started = Clock::now();
  int port = 0;
  int listen_fd = -1;  // the listening socket, seen in the socket-options hook before bind

  struct CachedKey {
    store::ApiKeyInfo info;
    Clock::time_point expires;
  };
  std::mutex cache_mu;
  std::unordered_map<std::string, CachedKey> key_cache;  // sha256(token) → key

  std::mutex rate_mu;
  std::deque<std::pair<Clock::time_point, uint64_t>> ingest_window;  // last 60 s of ingests

  std::mutex country_mu;
  std::optional<analyse::CountryIndex> countries;
  std::string country_stats_json;
  Clock::time_point country_stats_at{};

  // Group commit for POST /v1/posts: concurrent batches wait in ingest_queue and one caller
  // at a time runs the pipeline on everything queued (one transaction and fsync per group).
  struct IngestJob {
    std::vector<Post>* posts = nullptr;
    std::vector<ingest::Reject>* rejects = nullptr;
    Result<engine::IngestReport> report;
    bool done = false;
  };
  static constexpr size_t kMaxGroupRecords = 2048;
  std::mutex ingest_mu;
  std::condition_variable ingest_cv;
  std::deque<IngestJob*> ingest_queue;
  bool ingest_busy = false;

  std::thread maintenance;
  std::mutex maint_mu;
  std::condition_variable maint_cv;

  explicit Impl(const ServerConfig& c) : config(c), limiter(c.rate_per_s, c.rate_burst) {}

  // --- auth ---

  std::optional<store::ApiKeyInfo> authenticate(const httplib::Request& req, std::string& why) {
    std::string token;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.starts_with("Bearer ")) token = auth.substr(7);
    else token = req.get_header_value("X-API-Key");
    if (token.empty()) {
      why = "missing API key (send 'Authorization: Bearer <key>')";
      return std::nullopt;
    }
    const std::string h = sha256_hex(token);
    {
      std::lock_guard lock(cache_mu);
      auto it = key_cache.find(h);
      if (it != key_cache.end() && it->second.expires > Clock::now()) return it->second.info;
    }
    Result<std::optional<store::ApiKeyInfo>> info;
    {
      std::lock_guard lock(keys_mu);
      info = keys->verify_api_key(token);
    }
    if (!info) {
      metrics.add_error("store");
      why = "cannot check the key: " + info.error().message;
      return std::nullopt;
    }
    if (!*info) {
      why = "unknown or revoked API key";
      return std::nullopt;
    }
    std::lock_guard lock(cache_mu);
    // Revocations take effect within this time (and at once through DELETE /v1/keys).
    key_cache[h] = CachedKey{**info, Clock::now() + std::chrono::seconds(10)};
    return *info;
  }

  static bool allowed(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

  // For handlers: the caller must hold `need`; on false the 403 is already written.
  bool require(Role need, httplib::Response& res) {
    if (!t_call.key || !allowed(t_call.key->role, need)) {
      send_error(res, 403, "forbidden",
                 "this needs the " + std::string(store::role_name(need)) + " role; your key is " +
                     (t_call.key ? std::string(store::role_name(t_call.key->role)) : std::string("missing")));
      return false;
    }
    return true;
  }
  static bool viewer() { return !t_call.key || t_call.key->role == Role::kViewer; }

  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    t_call = CallContext{Clock::now(), std::nullopt, false};
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    if (!config.cors_origin.empty()) {
      const std::string origin = req.get_header_value("Origin");
      if (!origin.empty() && (config.cors_origin == "*" || origin == config.cors_origin)) {
        res.set_header("Access-Control-Allow-Origin", config.cors_origin == "*" ? "*" : origin);
        res.set_header("Vary", "Origin");
        if (req.method == "OPTIONS") {
          res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
          res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key, Last-Event-ID");
          res.set_header("Access-Control-Max-Age", "600");
          res.status = 204;
          return httplib::Server::HandlerResponse::Handled;
        }
      }
    }
    const bool api = req.path.starts_with("/v1/") && req.path != "/v1/openapi.json";
    if (!api) return httplib::Server::HandlerResponse::Unhandled;
    std::string why;
    t_call.key = authenticate(req, why);
    if (!t_call.key) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"crema\"");
      send_error(res, 401, "unauthorized", why);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (const double wait = limiter.acquire(t_call.key->id); wait > 0) {
      res.set_header("Retry-After", std::to_string(static_cast<int>(std::ceil(wait))));
      send_error(res, 429, "rate_limited",
                 "rate limit of " + std::to_string(static_cast<int>(config.rate_per_s)) + " requests/s (burst " +
                     std::to_string(static_cast<int>(config.rate_burst)) + ") exceeded for this key");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    const double s = std::chrono::duration<double>(Clock::now() - t_call.start).count();
    if (!t_call.streaming) metrics.record_request(route_label(req.path), req.method, res.status, s);
  }

  // --- ingest (group commit) ---

  // Runs the pipeline on `posts` and `rejects` together with any batches other handlers are
  // submitting at the same time; returns this batch's share of the report (its results in
  // its own order; the events its posts caused) once its group is committed. A failed group
  // fails each of its batches, and none of them is stored (one transaction). While more
  // batches wait, a group is matched while the previous group's transaction commits
  // (LivePipeline::submit); with none waiting, the leader commits at once (flush).
  Result<engine::IngestReport> ingest_grouped(std::vector<Post>& posts, std::vector<ingest::Reject>& rejects) {
    IngestJob job;
    job.posts = &posts;
    job.rejects = &rejects;
    std::unique_lock lock(ingest_mu);
    ingest_queue.push_back(&job);
    while (!job.done) {
      if (ingest_busy) {
        ingest_cv.wait(lock);
        continue;
      }
      // Lead one group: the queue's front batches (ours may be among them or still behind).
      ingest_busy = true;
      std::vector<IngestJob*> group;
      size_t records = 0;
      while (!ingest_queue.empty()) {
        IngestJob* j = ingest_queue.front();
        const size_t n = j->posts->size() + j->rejects->size();
        if (!group.empty() && records + n > kMaxGroupRecords) break;
        group.push_back(j);
        records += n;
        ingest_queue.pop_front();
      }
      lock.unlock();
      std::vector<IngestJob*> finished = submit_group(group);
      lock.lock();
      if (ingest_queue.empty()) {  // nobody to overlap with: commit now
        lock.unlock();
        std::vector<IngestJob*> committed = finish_in_flight();
        lock.lock();
        finished.insert(finished.end(), committed.begin(), committed.end());
      }
      for (IngestJob* j : finished) j->done = true;
      ingest_busy = false;
      ingest_cv.notify_all();
    }
    return std::move(job.report);
  }

  // The group submitted last, whose report comes with the next submit or flush. Only the
  // leader (ingest_busy) touches it.
  struct InFlight {
    std::vector<IngestJob*> jobs;
    std::unordered_map<std::string, size_t> owner;  // post id → batch, for the events
  };
  InFlight in_flight;

  // Submits `group` as one batch; returns the jobs whose reports are now set (those of the
  // group in flight before, or on an error both groups).
  std::vector<IngestJob*> submit_group(const std::vector<IngestJob*>& group) {
    metrics.set_gauge("crema_ingest_group_batches", static_cast<double>(group.size()));
    InFlight next{group, {}};
    Result<std::vector<engine::IngestReport>> reports;
    if (group.size() == 1) {
      reports = live->submit(*group[0]->posts, *group[0]->rejects);
    } else {
      std::vector<Post> posts;
      std::vector<ingest::Reject> rejects;
      for (size_t g = 0; g < group.size(); ++g) {
        for (Post& p : *group[g]->posts) {
          next.owner.emplace(p.id, g);
          posts.push_back(std::move(p));
        }
        for (ingest::Reject& r : *group[g]->rejects) rejects.push_back(std::move(r));
      }
      reports = live->submit(posts, rejects);
    }
    if (!reports) {
      // This group was not stored; the group in flight may have been (then flush() returns
      // its report) or not.
      std::vector<IngestJob*> finished = finish_in_flight(reports.error());
      for (IngestJob* j : group) j->report = tl::unexpected(reports.error());
      finished.insert(finished.end(), group.begin(), group.end());
      return finished;
    }
    std::vector<IngestJob*> finished = std::move(in_flight.jobs);
    share_reports(finished, in_flight.owner, *reports);
    in_flight = std::move(next);
    return finished;
  }

  // Commits the group in flight; returns its jobs with their reports set. No report for it
  // means it was not stored: its jobs get `lost` (the error that dropped it).
  std::vector<IngestJob*> finish_in_flight(const std::optional<Error>& lost = std::nullopt) {
    std::vector<IngestJob*> jobs = std::move(in_flight.jobs);
    if (jobs.empty()) return jobs;
    auto reports = live->flush();
    if (!reports) {
      for (IngestJob* j : jobs) j->report = tl::unexpected(reports.error());
    } else if (reports->empty() && lost) {
      for (IngestJob* j : jobs) j->report = tl::unexpected(*lost);
    } else {
      share_reports(jobs, in_flight.owner, *reports);
    }
    in_flight = {};
    return jobs;
  }

  // Cuts a group's report back into its batches' shares.
  static void share_reports(const std::vector<IngestJob*>& group, const std::unordered_map<std::string, size_t>& owner,
                            std::vector<engine::IngestReport>& reports) {
    if (group.empty()) return;
    if (reports.size() != 1) {
      const Error error{ErrorCode::kInternal, "ingest: expected one report for the batch in flight, got " +
                                                  std::to_string(reports.size())};
      for (IngestJob* j : group) j->report = tl::unexpected(error);
      return;
    }
    engine::IngestReport& all = reports.front();
    if (group.size() == 1) {
      group[0]->report = std::move(all);
      return;
    }
    // Results: every post in input order, then every reject; cut them back per batch.
    size_t post_at = 0, reject_at = 0;
    for (IngestJob* j : group) reject_at += j->posts->size();
    for (IngestJob* j : group) {
      engine::IngestReport share;
      for (size_t i = 0; i < j->posts->size(); ++i) share.results.push_back(std::move(all.results[post_at++]));
      for (size_t i = 0; i < j->rejects->size(); ++i) share.results.push_back(std::move(all.results[reject_at++]));
      j->report = std::move(share);
    }
    // An event belongs to the batch of the post that caused it: the new request, or the
    // arriving offer of a new_match; anything else (expiries) to the first batch.
    for (auto& e : all.events) {
      const std::string& by = e.type == store::EventType::kNewMatch ? e.offer_id : e.request_id;
      const auto it = owner.find(by);
      group[it == owner.end() ? 0 : it->second]->report->events.push_back(std::move(e));
    }
  }

  // --- handlers ---

  void get_posts(const httplib::Request& req, httplib::Response& res, bool offers) {
    store::PostFilter f;
    if (offers) f.labels = {"offer", "request_and_offer"};
    for (const auto& [k, v] : req.params) {
      if (k == "bbox") {
        auto b = store::parse_bbox(v);
        if (!b) return send_error(res, b.error());
        f.bbox = *b;
      } else if (k == "since" || k == "until") {
        auto t = parse_timestamp(v);
        if (!t) return send_error(res, 400, "invalid_argument", k + ": " + t.error().message);
        (k == "since" ? f.since_ms : f.until_ms) = *t;
      } else if (k == "resource") {
        f.resources = split_list(v);
        for (const auto& r : f.resources) {
          if (std::find(kResourceNames.begin(), kResourceNames.end(), r) == kResourceNames.end()) {
            return send_error(res, 400, "invalid_argument", "unknown resource '" + r + "'");
          }
        }
      } else if (k == "status") {
        f.statuses = split_list(v);
        for (const auto& s : f.statuses) {
          if (!store::parse_request_status(s)) return send_error(res, 400, "invalid_argument", "unknown status '" + s + "'");
        }
      } else if (k == "lang") {
        f.langs = split_list(v);
      } else if (k == "limit") {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 1 || n > static_cast<long>(store::kMaxPageSize)) {
          return send_error(res, 400, "invalid_argument",
                            "limit must be an integer 1 … " + std::to_string(store::kMaxPageSize));
        }
        f.limit = static_cast<size_t>(n);
      } else if (k == "cursor") {
        f.cursor = v;
      } else if (k == "duplicates") {
        f.include_duplicates = v == "1" || v == "true";
      } else {
        return send_error(res, 400, "invalid_argument", "unknown query parameter '" + k + "'");
      }
    }
    auto page = query->posts(f);
    if (!page) return send_error(res, page.error());
    const bool mask = viewer();
    JsonWriter w;
    w.begin_object().key(offers ? "offers" : "requests").begin_array();
    for (const auto& p : page->rows) write_post(w, p, mask);
    w.end_array();
    w.key("count").value(static_cast<uint64_t>(page->rows.size()));
    if (page->next_cursor.empty()) w.key("next_cursor").null();
    else w.key("next_cursor").value(page->next_cursor);
    w.end_object();
    send_json(res, 200, w.take());
  }

  void get_post(const httplib::Request& req, httplib::Response& res) {
    auto p = query->post(req.matches[1]);
    if (!p) return send_error(res, p.error());
    if (!*p) return send_error(res, 404, "not_found", "no post with id '" + std::string(req.matches[1]) + "'");
    JsonWriter w;
    write_post(w, **p, viewer());
    send_json(res, 200, w.take());
  }

  void get_matches(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    auto request = query->post(id);
    if (!request) return send_error(res, request.error());
    if (!*request) return send_error(res, 404, "not_found", "no post with id '" + id + "'");
    auto matches = query->matches_of(id);
    if (!matches) return send_error(res, matches.error());
    const bool mask = viewer();
    const store::PostRow& r = **request;
    const std::string rq = extraction_member(r.extraction_json, "quantities");
    JsonWriter w;
    w.begin_object().key("request");
    write_post(w, r, mask);
    w.key("matches").begin_array();
    for (const auto& m : *matches) {
      w.begin_object();
      w.key("match_id").value(id + "~" + m.offer.id);
      w.key("rank").value(m.rank);
      w.key("score").value(static_cast<double>(m.score));
      w.key("s_text").value(static_cast<double>(m.s_text));
      w.key("w_time").value(static_cast<double>(m.w_time));
      w.key("w_loc").value(static_cast<double>(m.w_loc));
      if (m.km >= 0) w.key("km").value(m.km);
      else w.key("km").null();
      w.key("hours_apart").value(std::round(std::abs(static_cast<double>(m.offer.created_at_ms - r.created_at_ms)) / 36'000.0) / 100.0);
      w.key("shared_resources").begin_array();
      for (const auto& res_name : r.resources) {
        if (std::find(m.offer.resources.begin(), m.offer.resources.end(), res_name) != m.offer.resources.end()) {
          w.value(res_name);
        }
      }
      w.end_array();
      w.key("shared_words").begin_array();
      for (const auto& word : shared_words(r.normalized, m.offer.normalized)) w.value(word);
      w.end_array();
      const std::string oq = extraction_member(m.offer.extraction_json, "quantities");
      w.key("quantities").begin_object();
      w.key("request").raw(rq.empty() ? "[]" : rq);
      w.key("offer").raw(oq.empty() ? "[]" : oq);
      w.end_object();
      w.key("offer");
      write_post(w, m.offer, mask);
      if (m.decision) {
        w.key("decision").begin_object().key("decision").value(m.decision->decision);
        w.key("note").value(mask ? mask_pii(m.decision->note) : m.decision->note);
        w.key("at").value(format_timestamp(m.decision->at_ms)).end_object();
      } else {
        w.key("decision").null();
      }
      w.end_object();
    }
    w.end_array().end_object();
    send_json(res, 200, w.take());
  }

  // Body of a decision: {"decision": "...", "note": "...", "request_id"?, "offer_id"?}.
  void post_decision(const httplib::Request& req, httplib::Response& res, bool on_request) {
    if (!require(Role::kDispatcher, res)) return;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.parse(req.body).get(doc); err != simdjson::SUCCESS || !doc.is_object()) {
      return send_error(res, 400, "parse_error",
                        std::string("the body must be a JSON object {\"decision\": …}: ") +
                            (err != simdjson::SUCCESS ? simdjson::error_message(err) : "not an object"));
    }
    std::string_view decision_s, note, rid, oid;
    if (doc["decision"].get_string().get(decision_s) != simdjson::SUCCESS) {
      return send_error(res, 400, "invalid_argument", "missing \"decision\" (confirm, reject or fulfilled)");
    }
    const auto decision = store::parse_decision(decision_s);
    if (!decision) {
      return send_error(res, 400, "invalid_argument",
                        "decision must be confirm, reject or fulfilled, got '" + std::string(decision_s) + "'");
    }
    if (doc["note"].get_string().get(note) != simdjson::SUCCESS) note = {};
    if (note.size() > 2000) return send_error(res, 400, "invalid_argument", "note is longer than 2000 bytes");
    store::DecisionInput in;
    const std::string path_id = req.matches[1];
    if (on_request) {
      if (*decision != store::Decision::kReject) {
        return send_error(res, 400, "invalid_argument", "a request itself can only be rejected; decide on its matches");
      }
      in.request_id = path_id;
    } else if (doc["request_id"].get_string().get(rid) == simdjson::SUCCESS &&
               doc["offer_id"].get_string().get(oid) == simdjson::SUCCESS) {
      in.request_id = std::string(rid);
      in.offer_id = std::string(oid);
    } else {
      const size_t tilde = path_id.find('~');
      if (tilde == std::string::npos || tilde == 0 || tilde + 1 == path_id.size()) {
        return send_error(res, 400, "invalid_argument",
                          "match id must be '<request_id>~<offer_id>' (the match_id of GET /v1/requests/{id}/matches)");
      }
      in.request_id = path_id.substr(0, tilde);
      in.offer_id = path_id.substr(tilde + 1);
    }
    in.decision = *decision;
    in.note = std::string(note);
    in.actor = store::Actor{t_call.key->id, t_call.key->role};
    in.at_ms = now_ms();
    auto outcome = live->record_decision(in);
    if (!outcome) return send_error(res, outcome.error());
    auto state = query->post(in.request_id);
    JsonWriter w;
    w.begin_object();
    w.key("match_id").value(on_request ? in.request_id : in.request_id + "~" + in.offer_id);
    w.key("decision").value(store::decision_name(*decision));
    if (state && *state) w.key("status").value((*state)->status);
    if (*outcome) {
      w.key("status_change").begin_object();
      w.key("from").value(store::request_status_name((*outcome)->from));
      w.key("to").value(store::request_status_name((*outcome)->to));
      w.key("event_id").value((*outcome)->event_id).end_object();
    } else {
      w.key("status_change").null();
    }
    w.end_object();
    send_json(res, 200, w.take());
  }

  void post_posts(const httplib::Request& req, httplib::Response& res) {
    if (!require(Role::kDispatcher, res)) return;
    std::vector<Post> posts;
    std::vector<ingest::Reject> rejects;
    std::vector<uint64_t> post_lines, reject_lines;
    uint64_t line = 0, records = 0;
    size_t start = 0;
    const std::string& body = req.body;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      ++line;
      std::string_view rec(body.data() + start, end - start);
      start = end + 1;
      while (!rec.empty() && (rec.back() == '\r' || rec.back() == ' ' || rec.back() == '\t')) rec.remove_suffix(1);
      while (!rec.empty() && (rec.front() == ' ' || rec.front() == '\t')) rec.remove_prefix(1);
      if (rec.empty()) continue;
      if (++records > config.max_batch) {
        return send_error(res, 413, "batch_too_large",
                          "more than " + std::to_string(config.max_batch) + " posts in one request; split the batch");
      }
      const SourceRef src{"POST /v1/posts", line};
      auto post = ingest::parse_json_post(rec, src, true);
      if (post) {
        posts.push_back(std::move(*post));
        post_lines.push_back(line);
      } else {
        ingest::Reject r;
        r.source = src;
        r.reason = post.error().message;
        r.excerpt = std::string(rec.substr(0, 200));
        rejects.push_back(std::move(r));
        reject_lines.push_back(line);
      }
    }
    if (records == 0) return send_error(res, 400, "invalid_argument", "empty body: send one JSON post per line");
    if (posts.empty()) {
      // Nothing usable: name the first bad record (nothing is stored).
      return send_error(res, 400, "parse_error",
                        "record 1 (line " + std::to_string(reject_lines.front()) + "): " + rejects.front().reason);
    }
    ++ingest_inflight;
    metrics.set_gauge("crema_ingest_queue_depth", ingest_inflight.load());
    auto report = ingest_grouped(posts, rejects);
    --ingest_inflight;
    metrics.set_gauge("crema_ingest_queue_depth", ingest_inflight.load());
    if (!report) {
      metrics.add_error("pipeline");
      return send_error(res, report.error());
    }
    uint64_t n[3] = {0, 0, 0};
    JsonWriter w;
    w.begin_object().key("results").begin_array();
    for (size_t i = 0; i < report->results.size(); ++i) {
      const auto& r = report->results[i];
      const uint64_t at = i < post_lines.size() ? post_lines[i] : reject_lines[i - post_lines.size()];
      ++n[static_cast<int>(r.outcome)];
      w.begin_object().key("line").value(at);
      if (r.id.empty()) w.key("id").null();
      else w.key("id").value(r.id);
      w.key("outcome").value(engine::ingest_outcome_name(r.outcome));
      if (r.outcome == engine::IngestOutcome::kStored) w.key("label").value(label_name(r.label));
      if (!r.reason.empty()) w.key("reason").value(r.reason);
      if (r.duplicate_of) w.key("duplicate_of").value(*r.duplicate_of);
      w.end_object();
    }
    w.end_array();
    w.key("stored").value(n[0]).key("duplicate").value(n[1]).key("rejected").value(n[2]);
    w.key("events").value(static_cast<uint64_t>(report->events.size()));
    w.end_object();
    metrics.add_ingested("stored", n[0]);
    metrics.add_ingested("duplicate", n[1]);
    metrics.add_ingested("rejected", n[2]);
    {
      std::lock_guard lock(rate_mu);
      ingest_window.emplace_back(Clock::now(), n[0] + n[1]);
    }
    send_json(res, 200, w.take());
  }

  std::string country_counts_json() {
    std::lock_guard lock(country_mu);
    if (!country_stats_json.empty() && Clock::now() - country_stats_at < std::chrono::seconds(30)) {
      return country_stats_json;
    }
    if (!countries) {
      auto idx = analyse::CountryIndex::load_default();
      if (!idx) return "[]";
      countries = std::move(*idx);
    }
    std::unordered_map<int, uint64_t> counts;
    store::PostFilter f;
    f.labels = {"request", "offer", "request_and_offer"};
    f.limit = store::kMaxPageSize;
    for (;;) {
      auto page = query->posts(f);
      if (!page) return "[]";
      for (const auto& p : page->rows) {
        if (p.geo) ++counts[countries->lookup(p.geo->lat, p.geo->lon)];
      }
      if (page->next_cursor.empty()) break;
      f.cursor = page->next_cursor;
    }
    std::vector<std::pair<std::string, uint64_t>> rows;
    for (const auto& [i, c] : counts) {
      if (i == analyse::CountryIndex::kUnplaced) continue;
      const auto& country = countries->countries()[static_cast<size_t>(i)];
      rows.emplace_back(country.iso_a2.empty() ? country.a3 : country.iso_a2, c);
    }
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    JsonWriter w;
    w.begin_array();
    for (const auto& [k, c] : rows) w.begin_object().key("key").value(k).key("count").value(c).end_object();
    w.end_array();
    country_stats_json = w.take();
    country_stats_at = Clock::now();
    return country_stats_json;
  }

  void get_stats(httplib::Response& res) {
    auto st = query->stats();
    if (!st) return send_error(res, st.error());
    auto rows = [](JsonWriter& w, const char* name, const std::vector<store::CountRow>& v) {
      w.key(name).begin_array();
      for (const auto& r : v) w.begin_object().key("key").value(r.key).key("count").value(r.count).end_object();
      w.end_array();
    };
    const engine::LiveStats ls = live->stats();
    JsonWriter w;
    w.begin_object();
    w.key("posts").value(st->posts).key("duplicates").value(st->duplicates).key("matches").value(st->matches);
    rows(w, "by_label", st->by_label);
    rows(w, "requests_by_resource", st->requests_by_resource);
    rows(w, "offers_by_resource", st->offers_by_resource);
    rows(w, "requests_by_status", st->requests_by_status);
    rows(w, "requests_by_lang", st->requests_by_lang);
    if (!st->by_country.empty()) rows(w, "by_country", st->by_country);
    else w.key("by_country").raw(country_counts_json());
    rows(w, "by_day", st->by_day);
    w.key("live").begin_object();
    w.key("clock").value(ls.clock_ms > 0 ? format_timestamp(ls.clock_ms) : std::string());
    w.key("open_requests").value(ls.open_requests).key("live_offers").value(ls.live_offers);
    w.key("encoder").value(ls.encoder).end_object();
    w.end_object();
    send_json(res, 200, w.take());
  }

  void get_events(const httplib::Request& req, httplib::Response& res) {
    if (sse_clients.load() >= config.max_sse_clients) {
      return send_error(res, 503, "unavailable", "too many event streams open; try again later");
    }
    int64_t after = -1;
    std::string from = req.get_header_value("Last-Event-ID");
    if (from.empty() && req.has_param("after")) from = req.get_param_value("after");
    if (!from.empty()) {
      char* end = nullptr;
      after = std::strtoll(from.c_str(), &end, 10);
      if (*end != '\0' || after < 0) return send_error(res, 400, "invalid_argument", "Last-Event-ID / after must be an event id");
    } else {
      auto last = query->last_event_id();
      if (!last) return send_error(res, last.error());
      after = *last;
    }
    t_call.streaming = true;
    metrics.record_request("/v1/events", "GET", 200, 0);
    const bool mask = viewer();
    ++sse_clients;
    metrics.set_gauge("crema_sse_clients", sse_clients.load());
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    auto state = std::make_shared<std::pair<int64_t, Clock::time_point>>(after, Clock::now());
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, state, mask](size_t, httplib::DataSink& sink) {
          if (stopping.load()) {
            sink.done();
            return true;
          }
          auto events = query->events_after(state->first, 100);
          if (!events) {
            metrics.add_error("store");
            return false;
          }
          if (events->empty()) {
            if (Clock::now() - state->second >= std::chrono::seconds(config.sse_heartbeat_s)) {
              state->second = Clock::now();
              return sink.write(": keep-alive\n\n", 14);
            }
            std::unique_lock lock(maint_mu);
            maint_cv.wait_for(lock, std::chrono::milliseconds(config.sse_poll_ms), [this] { return stopping.load(); });
            return true;
          }
          std::string out;
          for (const auto& e : *events) {
            JsonWriter w;
            w.begin_object().key("id").value(e.id).key("type").value(e.type);
            w.key("at").value(format_timestamp(e.at_ms)).key("data").raw(mask ? mask_json_for_viewer(e.payload_json) : e.payload_json);
            w.end_object();
            out += "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: " + w.str() + "\n\n";
            state->first = e.id;
          }
          state->second = Clock::now();
          return sink.write(out.data(), out.size());
        },
        [this](bool) {
          --sse_clients;
          metrics.set_gauge("crema_sse_clients", sse_clients.load());
        });
  }

  void admin_keys(const httplib::Request& req, httplib::Response& res) {
    if (!require(Role::kAdmin, res)) return;
    if (req.method == "GET") {
      Result<std::vector<store::ApiKeyInfo>> list;
      {
        std::lock_guard lock(keys_mu);
        list = keys->list_api_keys();
      }
      if (!list) return send_error(res, list.error());
      JsonWriter w;
      w.begin_object().key("keys").begin_array();
      for (const auto& k : *list) {
        w.begin_object().key("id").value(k.id).key("name").value(k.name).key("role").value(store::role_name(k.role));
        w.key("created_at").value(format_timestamp(k.created_at_ms));
        w.key("revoked").value(k.revoked_at_ms.has_value()).end_object();
      }
      w.end_array().end_object();
      return send_json(res, 200, w.take());
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view name, role_s;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS || doc["name"].get_string().get(name) != simdjson::SUCCESS ||
        doc["role"].get_string().get(role_s) != simdjson::SUCCESS) {
      return send_error(res, 400, "parse_error", "the body must be {\"name\": \"…\", \"role\": \"viewer|dispatcher|admin\"}");
    }
    const auto role = store::parse_role(role_s);
    if (!role) return send_error(res, 400, "invalid_argument", "unknown role '" + std::string(role_s) + "'");
    Result<store::NewApiKey> key;
    {
      std::lock_guard lock(keys_mu);
      key = keys->add_api_key(std::string(name), *role);
    }
    if (!key) return send_error(res, key.error());
    JsonWriter w;
    w.begin_object().key("id").value(key->info.id).key("name").value(key->info.name);
    w.key("role").value(store::role_name(key->info.role)).key("token").value(key->token).end_object();
    send_json(res, 201, w.take());
  }

  void revoke_key(const httplib::Request& req, httplib::Response& res) {
    if (!require(Role::kAdmin, res)) return;
    char* end = nullptr;
    const std::string id_s = req.matches[1];
    const long long id = std::strtoll(id_s.c_str(), &end, 10);
    if (id_s.empty() || *end != '\0') return send_error(res, 400, "invalid_argument", "key id must be an integer");
    Status st;
    {
      std::lock_guard lock(keys_mu);
      st = keys->revoke_api_key(id);
    }
    if (!st) return send_error(res, st.error());
    {
      std::lock_guard lock(cache_mu);
      key_cache.clear();
    }
    send_json(res, 200, "{\"revoked\":" + std::to_string(id) + "}");
  }

  void get_metrics(httplib::Response& res) {
    const engine::LiveStats ls = live->stats();
    double rate = 0;
    {
      std::lock_guard lock(rate_mu);
      const auto cutoff = Clock::now() - std::chrono::seconds(60);
      while (!ingest_window.empty() && ingest_window.front().first < cutoff) ingest_window.pop_front();
      for (const auto& [t, n] : ingest_window) rate += static_cast<double>(n);
      rate /= 60.0;
    }
    metrics.set_gauge("crema_ingest_rate_posts_per_second", rate);
    metrics.set_gauge("crema_live_open_requests", static_cast<double>(ls.open_requests));
    metrics.set_gauge("crema_live_offers", static_cast<double>(ls.live_offers));
    metrics.set_gauge("crema_uptime_seconds", std::chrono::duration<double>(Clock::now() - started).count());
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  }

  void install_routes() {
    httplib::Server& s = *http;
    s.set_pre_routing_handler([this](const auto& req, auto& res) { return pre_route(req, res); });
    s.set_logger([this](const auto& req, const auto& res) { log_request(req, res); });
    s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 413) {
        send_error(res, 413, "body_too_large", "request body is larger than the server's max_body_bytes");
      } else if (res.status == 404) {
        send_error(res, 404, "not_found", "no route for " + req.method + " " + req.path);
      } else {
        send_error(res, res.status, "http_error", "HTTP " + std::to_string(res.status));
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    s.set_exception_handler([this](const auto&, auto& res, std::exception_ptr) {
      metrics.add_error("exception");
      send_error(res, 500, "internal", "internal error");
    });
    for (const auto& a : assets()) {
      const std::string etag = "\"" + sha256_hex(a.bytes).substr(0, 16) + "\"";
      const Asset asset = a;
      const bool html = a.url == "/";
      s.Get(std::string(a.url), [asset, etag, html](const httplib::Request& req, httplib::Response& res) {
        res.set_header("ETag", etag);
        res.set_header("Cache-Control", "no-cache");
        if (html) {
          res.set_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                         "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        }
        if (req.get_header_value("If-None-Match") == etag) {
          res.status = 304;
          return;
        }
        res.set_content(asset.bytes.data(), asset.bytes.size(), content_type_for(asset.url));
      });
    }
    s.Get("/healthz", [this](const auto&, auto& res) {
      auto last = query->last_event_id();
      if (!last) return send_error(res, 503, "unavailable", "store: " + last.error().message);
      send_json(res, 200, "{\"status\":\"ok\",\"schema_version\":" + std::to_string(store::kSchemaVersion) + "}");
    });
    s.Get("/metrics", [this](const auto&, auto& res) { get_metrics(res); });
    s.Get("/v1/requests", [this](const auto& req, auto& res) { get_posts(req, res, false); });
    s.Get("/v1/offers", [this](const auto& req, auto& res) { get_posts(req, res, true); });
    s.Get(R"(/v1/posts/([^/]+))", [this](const auto& req, auto& res) { get_post(req, res); });
    s.Get(R"(/v1/requests/([^/]+)/matches)", [this](const auto& req, auto& res) { get_matches(req, res); });
    s.Post(R"(/v1/matches/([^/]+)/decision)", [this](const auto& req, auto& res) { post_decision(req, res, false); });
    s.Post(R"(/v1/requests/([^/]+)/decision)", [this](const auto& req, auto& res) { post_decision(req, res, true); });
    s.Post("/v1/posts", [this](const auto& req, auto& res) { post_posts(req, res); });
    s.Get("/v1/stats", [this](const auto&, auto& res) { get_stats(res); });
    s.Get("/v1/events", [this](const auto& req, auto& res) { get_events(req, res); });
    s.Get("/v1/me", [](const auto&, auto& res) {
      JsonWriter w;
      w.begin_object().key("id").value(t_call.key->id).key("name").value(t_call.key->name);
      w.key("role").value(store::role_name(t_call.key->role)).end_object();
      send_json(res, 200, w.take());
    });
    s.Get("/v1/keys", [this](const auto& req, auto& res) { admin_keys(req, res); });
    s.Post("/v1/keys", [this](const auto& req, auto& res) { admin_keys(req, res); });
    s.Delete(R"(/v1/keys/([^/]+))", [this](const auto& req, auto& res) { revoke_key(req, res); });
  }

  void maintenance_loop() {
    std::unique_lock lock(maint_mu);
    while (!stopping.load()) {
      maint_cv.wait_for(lock, std::chrono::seconds(10), [this] { return stopping.load(); });
      if (stopping.load() || !config.wall_clock_expiry) continue;
      lock.unlock();
      if (auto r = live->advance_clock(now_ms()); !r) metrics.add_error("pipeline");
      lock.lock();
    }
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() {
  stop();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
}

Result<std::unique_ptr<ApiServer>> ApiServer::create(const ServerConfig& config) {
  if (auto st = validate_config(config); !st) return tl::unexpected(st.error());
  auto impl = std::make_unique<Impl>(config);
  engine::LiveOptions lo;
  lo.match.delta_time_ms = *parse_duration(config.delta_time);
  lo.match.delta_km = config.delta_km;
  lo.match.top_n = config.top_n;
  lo.match.allow_unlocated = config.allow_unlocated;
  lo.threads = config.pipeline_threads;
  lo.wall_clock = config.wall_clock_expiry;
  lo.command_line = "crema-server --db " + config.db_path;
  auto live = engine::LivePipeline::open(config.db_path, lo);
  if (!live) return tl::unexpected(live.error());
  impl->live = std::move(*live);
  auto keys = store::Store::open(config.db_path);
  if (!keys) return tl::unexpected(keys.error());
  impl->keys = std::move(*keys);
  auto query = store::QueryDb::open(config.db_path, static_cast<size_t>(std::min(config.threads, 64)));
  if (!query) return tl::unexpected(query.error());
  impl->query = std::move(*query);

  if (!config.tls_cert.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(config.tls_cert.c_str(), config.tls_key.c_str());
    if (!ssl->is_valid()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot use the TLS certificate/key (" + config.tls_cert + ", " + config.tls_key + ")");
    }
    impl->http = std::move(ssl);
  } else {
    impl->http = std::make_unique<httplib::Server>();
  }
  const int threads = config.threads;
  impl->http->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  impl->http->set_payload_max_length(config.max_body_bytes);
  impl->http->set_read_timeout(config.read_timeout_s, 0);
  impl->http->set_write_timeout(config.write_timeout_s, 0);
  impl->http->set_keep_alive_timeout(5);
  // httplib writes the headers and the body of a response separately: with Nagle on, the
  // body waits for the client's delayed ACK (~40 ms on Linux) on every answer.
  impl->http->set_tcp_nodelay(true);
  // Replaces httplib's default hook (SO_REUSEPORT: a second server could bind the same port
  // and take half the connections) and remembers the socket for bind().
  impl->http->set_socket_options([m = impl.get()](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    m->listen_fd = sock;
  });
  impl->install_routes();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

Result<int> ApiServer::bind() {
  Impl& m = *impl_;
  if (m.config.port == 0) {
    m.port = m.http->bind_to_any_port(m.config.host);
    if (m.port <= 0) return make_error(ErrorCode::kIoError, "cannot bind " + m.config.host + " on any port");
  } else {
    if (!m.http->bind_to_port(m.config.host, m.config.port)) {
      return make_error(ErrorCode::kIoError, "cannot bind " + m.config.host + ":" + std::to_string(m.config.port) +
                                                 " (in use, or not an address of this machine)");
    }
    m.port = m.config.port;
  }
  // libcpp-httplib listens with a backlog of 5 (compiled in): a burst of new connections
  // overflows it, and clients wait for SYN retransmits (1 s, 3 s) or are reset. Listening
  // again on the bound socket only raises the backlog (to net.core.somaxconn at most).
  if (m.listen_fd >= 0 && ::listen(m.listen_fd, SOMAXCONN) != 0) {
    return make_error(ErrorCode::kIoError, "cannot listen on " + m.config.host + ":" + std::to_string(m.port));
  }
  if (!m.config.port_file.empty()) {
    if (auto st = write_file_atomic(m.config.port_file, std::to_string(m.port) + "\n"); !st) {
      return tl::unexpected(st.error());
    }
  }
  return m.port;
}

Status ApiServer::serve() {
  Impl& m = *impl_;
  m.maintenance = std::thread([&m] { m.maintenance_loop(); });
  m.http->listen_after_bind();
  m.stopping = true;
  m.maint_cv.notify_all();
  if (m.maintenance.joinable()) m.maintenance.join();
  return m.live->close();
}

void ApiServer::stop() {
  impl_->stopping = true;
  impl_->maint_cv.notify_all();
  if (impl_->http) impl_->http->stop();
}

}  // namespace crema::server
