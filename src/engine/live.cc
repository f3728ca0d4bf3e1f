// crema::engine::LivePipeline: incremental matching over a store (include/crema/live.h).
//
// Per batch: validate, drop repeated ids, link near-duplicates, run the per-post stages
// (Processor), then match in four steps that consider every (request, offer) pair exactly
// once, which is why the result equals batch matching:
//   A. the batch's offers join the offer index;
//   B. each new request takes its top-n over the offer index (old and new offers);
//   C. each new offer is scored against the requests already in memory and enters their
//      top-n where it ranks (new_match events, in offer order);
//   D. the new requests join the request index.
// Then posts whose window has passed on the clock leave memory (requests become expired),
// and everything is written in one store transaction. If that write fails, memory is
// rebuilt from the store, so memory never holds what the store does not for long.
// submit() runs that transaction on a writer thread while the next batch is matched; the
// next batch's id lookups then go through a second connection (WAL: it reads the last
// commit) plus the ids of the batch in flight.
#include "crema/live.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/common/time.h"
#include "crema/ingest/dedup.h"
#include "processor.h"

namespace crema::engine {
namespace {

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_request_side(Label label) { return label == Label::kRequest || label == Label::kRequestAndOffer; }
bool is_offer_side(Label label) { return label == Label::kOffer || label == Label::kRequestAndOffer; }

void write_offers(JsonWriter& w, const std::vector<store::StoredMatch>& offers) {
  w.key("offers").begin_array();
  for (const auto& m : offers) {
    w.begin_object();
    w.key("rank").value(m.rank);
    w.key("offer_id").value(m.offer_id);
    w.key("score").value(static_cast<double>(m.score));
    w.key("s_text").value(static_cast<double>(m.s_text));
    w.key("w_time").value(static_cast<double>(m.w_time));
    w.key("w_loc").value(static_cast<double>(m.w_loc));
    if (m.km >= 0) {
      w.key("km").value(m.km);
    } else {
      w.key("km").null();
    }
    w.end_object();
  }
  w.end_array();
}

// The "from" state in a status_change payload the store wrote ({"request_id":…,"from":"…"}).
store::RequestStatus payload_from(const std::string& payload) {
  constexpr std::string_view kKey = "\"from\":\"";
  const size_t at = payload.find(kKey);
  if (at == std::string::npos) return store::RequestStatus::kOpen;
  const size_t begin = at + kKey.size();
  const size_t end = payload.find('"', begin);
  return store::parse_request_status(std::string_view(payload).substr(begin, end - begin))
      .value_or(store::RequestStatus::kOpen);
}

// MatchEvents for the store's expiry status_change events. The store writes them in the
// order of `expired`, skipping requests that were no longer open, so each event is paired
// with its id by its payload in one forward walk.
std::vector<MatchEvent> expiry_events(const std::vector<store::Event>& stored, const std::vector<std::string>& expired) {
  std::vector<MatchEvent> out;
  size_t next = 0;
  std::string key;
  for (const store::Event& se : stored) {
    MatchEvent e;
    e.type = store::EventType::kStatusChange;
    e.event_id = se.id;
    e.from = payload_from(se.payload_json);
    e.to = store::RequestStatus::kExpired;
    e.reason = "expired";
    e.at_ms = se.at_ms;
    for (size_t k = next; k < expired.size(); ++k) {
      key = "{\"request_id\":";
      append_json_string(key, expired[k]);
      key += ',';
      if (se.payload_json.starts_with(key)) {
        e.request_id = expired[k];
        next = k + 1;
        break;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string_view ingest_outcome_name(IngestOutcome outcome) {
  switch (outcome) {
    case IngestOutcome::kStored: return "stored";
    case IngestOutcome::kDuplicate: return "duplicate";
    case IngestOutcome::kRejected: return "rejected";
  }
  return "stored";
}

std::string MatchEvent::payload_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("request_id").value(request_id);
  switch (type) {
    case store::EventType::kNewRequest:
      w.key("created_at").value(format_timestamp(request_created_at_ms));
      w.key("label").value(label_name(label));
      if (geo) {
        w.key("lat").value(geo->lat);
        w.key("lon").value(geo->lon);
      }
      w.key("resources").begin_array();
      for (const auto& r : resources) w.value(r);
      w.end_array();
      write_offers(w, offers);
      break;
    case store::EventType::kNewMatch:
      w.key("offer_id").value(offer_id);
      w.key("rank").value(rank);
      write_offers(w, offers);
      break;
    case store::EventType::kStatusChange:
      // Same keys, in the same order, as the store's own status_change payloads.
      w.key("from").value(store::request_status_name(from));
      w.key("to").value(store::request_status_name(to));
      w.key("reason").value(reason);
      if (!offer_id.empty()) w.key("offer_id").value(offer_id);
      break;
  }
  w.key("at_ms").value(at_ms);
  w.end_object();
  return w.take();
}

std::string MatchEvent::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("id").value(event_id);
  w.key("type").value(store::event_type_name(type));
  w.end_object();
  std::string head = w.take();
  head.pop_back();  // drop '}' and splice the payload's fields in
  const std::string payload = payload_json();
  return head + "," + payload.substr(1);
}

struct LivePipeline::Impl {
  // A post in memory. key = posts.seq (insertion order, the batch matcher's tie-break).
  struct Live {
    std::string id;
    Label label = Label::kUnknown;
    match::MatchPost post;
    std::vector<float> vec;
  };
  struct Request {
    uint64_t key = 0;
    int64_t delta_ms = 0;                 // its window
    std::vector<match::ScoredOffer> top;  // best first; .offer = offer key
    std::vector<std::string> top_ids;     // offer ids of top
  };

  // A matched batch and its store transaction (in flight on the writer thread after
  // submit()). Owns everything the transaction reads.
  struct Pending {
    IngestReport report;  // events without ids until the commit
    std::vector<store::ProcessedPost> batch;
    std::vector<store::Store::Reject> reject_rows;
    std::vector<store::RequestTopN> top_lists;
    std::vector<store::NewEvent> events;
    std::vector<std::string> expired;
    std::unordered_set<std::string> ids;  // ids this batch stores
    int64_t at_ms = 0;
    int64_t old_clock = 0;  // the clock before the batch, restored if the write fails
    std::future<Result<store::Store::LiveBatchResult>> written;

    store::Store::LiveBatch view() const {
      store::Store::LiveBatch w;
      w.posts = batch;
      w.rejects = reject_rows;
      w.top_n = top_lists;
      w.expired_requests = expired;
      w.events = events;
      w.at_ms = at_ms;
      return w;
    }
  };

  LiveOptions options;
  std::string db_path;
  std::unique_ptr<Processor> processor;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<store::Store> lookups;  // id lookups, while the writer thread may hold db
  std::unique_ptr<Pending> in_flight;     // submitted, transaction not yet collected
  std::vector<IngestReport> completed;    // committed, report not yet returned
  int64_t run_id = 0;
  bool closed = false;
  int threads = 1;
  size_t dim = 0;
  int64_t offer_keep_ms = 0;

  std::mutex writer;                // one ingest/advance/decision at a time
  mutable std::shared_mutex state;  // guards everything below for readers
  int64_t clock = 0;
  int64_t next_seq = 1;
  std::unordered_map<uint64_t, Live> posts;  // requests and offers in memory
  std::unordered_map<uint64_t, Request> requests;
  std::unordered_map<std::string, uint64_t> request_keys;
  std::unordered_set<uint64_t> offers;
  match::LivePostIndex offer_index{10};
  match::LivePostIndex request_index{10};
  std::unique_ptr<ingest::NearDuplicateIndex> dedup;
  LiveStats stats;

  double cell_km() const { return match::max_delta_km(options.match); }

  void clear_memory() {
    posts.clear();
    requests.clear();
    request_keys.clear();
    offers.clear();
    offer_index = match::LivePostIndex(cell_km());
    request_index = match::LivePostIndex(cell_km());
  }

  int64_t now_clock(int64_t stream_clock) const {
    return options.wall_clock ? std::max(stream_clock, wall_now_ms()) : stream_clock;
  }

  // Rebuilds memory and the near-duplicate index from the store (at open, and after a
  // failed write).
  Status rebuild() {
    clear_memory();
    dedup = std::make_unique<ingest::NearDuplicateIndex>();
    if (auto st = db->for_each_original([&](const std::string& id, const std::string& text) { dedup->add(id, text); });
        !st) {
      return st;
    }
    auto bounds = db->post_bounds();
    if (!bounds) return tl::unexpected(bounds.error());
    next_seq = bounds->max_seq + 1;
    clock = now_clock(std::max(clock, bounds->newest_created_at_ms));
    const int64_t keep = offer_keep_ms;
    const int64_t since = clock > INT64_MIN + keep ? clock - keep : INT64_MIN;
    auto rows = db->load_live_posts(since);
    if (!rows) return tl::unexpected(rows.error());
    auto stored_matches = db->load_live_matches(since);
    if (!stored_matches) return tl::unexpected(stored_matches.error());
    std::unordered_map<std::string, std::vector<const store::StoredMatch*>> by_request;
    for (const auto& m : *stored_matches) by_request[m.request_id].push_back(&m);
    stats.loaded_requests = stats.loaded_offers = stats.skipped_wrong_dim = 0;
    for (auto& row : *rows) {
      if (row.embedding.size() != dim) {
        ++stats.skipped_wrong_dim;
        continue;
      }
      const auto key = static_cast<uint64_t>(row.seq);
      Live live{row.id, row.label, {row.created_at_ms, row.geo, row.radius_km, row.resources}, std::move(row.embedding)};
      bool kept = false;
      if (is_offer_side(row.label) && clock - row.created_at_ms <= offer_keep_ms) {
        offer_index.insert(key, live.post);
        offers.insert(key);
        ++stats.loaded_offers;
        kept = true;
      }
      const bool open = row.status == store::RequestStatus::kOpen || row.status == store::RequestStatus::kPartlyServed;
      const int64_t delta = match::request_delta_time_ms(live.post, options.match);
      if (is_request_side(row.label) && open && clock - row.created_at_ms <= delta + options.lateness_ms) {
        Request req{key, delta, {}, {}};
        for (const store::StoredMatch* m : by_request[row.id]) {
          match::ScoredOffer s;
          s.offer = static_cast<size_t>(m->offer_seq);
          s.score = m->score;
          s.s_text = m->s_text;
          s.w_time = m->w_time;
          s.w_loc = m->w_loc;
          s.km = m->km;
          req.top.push_back(s);
          req.top_ids.push_back(m->offer_id);
        }
        request_index.insert(key, live.post);
        request_keys[row.id] = key;
        requests.emplace(key, std::move(req));
        ++stats.loaded_requests;
        kept = true;
      }
      if (kept) posts.emplace(key, std::move(live));
    }
    return {};
  }

  std::vector<store::StoredMatch> stored_top(const std::string& request_id, const Request& req) const {
    std::vector<store::StoredMatch> out;
    for (size_t i = 0; i < req.top.size(); ++i) {
      const auto& s = req.top[i];
      out.push_back({request_id, req.top_ids[i], static_cast<int>(i + 1), s.score, s.s_text, s.w_time, s.w_loc, s.km,
                     static_cast<int64_t>(s.offer)});
    }
    return out;
  }

  // Inserts s into req's top-n if it ranks; returns its 1-based rank or 0.
  int offer_into(Request& req, const match::ScoredOffer& s, const std::string& offer_id) const {
    const auto n = static_cast<size_t>(options.match.top_n);
    const auto pos = std::upper_bound(req.top.begin(), req.top.end(), s, [](const auto& a, const auto& b) {
      return match::ranks_before(a, b);
    });
    const auto index = static_cast<size_t>(pos - req.top.begin());
    if (index >= n) return 0;
    req.top.insert(pos, s);
    req.top_ids.insert(req.top_ids.begin() + static_cast<std::ptrdiff_t>(index), offer_id);
    if (req.top.size() > n) {
      req.top.pop_back();
      req.top_ids.pop_back();
    }
    return static_cast<int>(index + 1);
  }

  // Removes what fell out of the window; returns the request ids that left.
  std::vector<std::string> evict() {
    std::vector<std::string> gone;
    std::vector<uint64_t> drop;
    for (const auto& [key, req] : requests) {
      if (clock - posts.at(key).post.time_ms > req.delta_ms + options.lateness_ms) drop.push_back(key);
    }
    std::sort(drop.begin(), drop.end());
    for (uint64_t key : drop) {
      const std::string id = posts.at(key).id;
      gone.push_back(id);
      drop_request(key);
    }
    drop.clear();
    for (uint64_t key : offers) {
      if (clock - posts.at(key).post.time_ms > offer_keep_ms) drop.push_back(key);
    }
    for (uint64_t key : drop) {
      offers.erase(key);
      offer_index.erase(key);
      if (!requests.contains(key)) posts.erase(key);
    }
    return gone;
  }

  void drop_request(uint64_t key) {
    const auto it = posts.find(key);
    if (it == posts.end()) return;
    request_keys.erase(it->second.id);
    requests.erase(key);
    request_index.erase(key);
    if (!offers.contains(key)) posts.erase(it);
  }

  // After a failed write: memory back to what the store holds.
  Status restore(int64_t old_clock) {
    std::unique_lock lock(state);
    clock = old_clock;
    return rebuild();
  }

  // The report of a committed batch: event ids, expiry events, counters.
  IngestReport finish(Pending& p, const store::Store::LiveBatchResult& written) {
    std::unique_lock lock(state);
    std::vector<MatchEvent>& events_out = p.report.events;
    for (size_t i = 0; i < events_out.size(); ++i) events_out[i].event_id = written.event_ids[i];
    for (MatchEvent& e : expiry_events(written.status_events, p.expired)) events_out.push_back(std::move(e));
    stats.stored += written.counts.inserted;
    for (const auto& r : p.report.results) {
      if (r.outcome == IngestOutcome::kDuplicate) ++stats.duplicates;
      if (r.outcome == IngestOutcome::kRejected) ++stats.rejected;
    }
    stats.events += events_out.size();
    stats.expired += written.status_events.size();
    return std::move(p.report);
  }

  // Waits for the batch in flight: its report joins `completed`, or memory is rebuilt and
  // its error returned.
  Status settle() {
    if (!in_flight) return {};
    std::unique_ptr<Pending> p = std::move(in_flight);
    auto written = p->written.get();
    if (!written) {
      if (auto rebuilt = restore(p->old_clock); !rebuilt) return rebuilt;
      return tl::unexpected(written.error());
    }
    completed.push_back(finish(*p, *written));
    return {};
  }

  Result<std::unique_ptr<Pending>> prepare(std::span<const Post> input, std::span<const ingest::Reject> rejects);
};

LivePipeline::LivePipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LivePipeline::~LivePipeline() {
  if (impl_ && !impl_->closed) (void)close();
}

Result<std::unique_ptr<LivePipeline>> LivePipeline::open(const std::string& db_path, const LiveOptions& options) {
  const match::MatchParams& p = options.match;
  if (p.top_n < 1) return make_error(ErrorCode::kInvalidArgument, "live: top_n must be at least 1");
  if (p.delta_time_ms <= 0 || !(p.delta_km > 0) || !std::isfinite(p.delta_km)) {
    return make_error(ErrorCode::kInvalidArgument, "live: delta_time and delta_km must be positive");
  }
  if (options.lateness_ms < 0) return make_error(ErrorCode::kInvalidArgument, "live: lateness must be >= 0");
  if (std::isnan(p.min_score)) return make_error(ErrorCode::kInvalidArgument, "live: min_score is NaN");
  if (p.profiles != nullptr) {
    for (const auto& prof : p.profiles->profiles) {
      if (prof.delta_time_ms <= 0 || !(prof.delta_km > 0) || !std::isfinite(prof.delta_km)) {
        return make_error(ErrorCode::kInvalidArgument, "live: decay profile '" + prof.resource + "': windows must be positive");
      }
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->db_path = db_path;
  impl->threads = resolve_threads(options.threads);
  impl->offer_keep_ms = match::max_delta_time_ms(p) + options.lateness_ms;

  auto processor = Processor::create(options.models);
  if (!processor) return tl::unexpected(processor.error());
  impl->processor = std::move(*processor);
  impl->dim = impl->processor->encoder().dim();
  impl->stats.encoder = std::string(impl->processor->encoder().name());

  auto db = store::Store::open(db_path);
  if (!db) return tl::unexpected(db.error());
  impl->db = std::move(*db);
  auto lookups = store::Store::open(db_path);
  if (!lookups) return tl::unexpected(lookups.error());
  impl->lookups = std::move(*lookups);

  JsonWriter config;
  config.begin_object();
  config.key("mode").value("live");
  config.key("encoder").value(impl->stats.encoder);
  config.key("method").value(match::method_name(p.method));
  config.key("delta_time_ms").value(p.delta_time_ms);
  config.key("delta_km").value(p.delta_km);
  config.key("top_n").value(p.top_n);
  config.key("allow_unlocated").value(p.allow_unlocated);
  config.key("lateness_ms").value(options.lateness_ms);
  config.key("wall_clock").value(options.wall_clock);
  config.end_object();
  auto run = impl->db->begin_run({options.command_line.empty() ? "live" : options.command_line, {}, config.take()});
  if (!run) return tl::unexpected(run.error());
  impl->run_id = *run;
  if (auto st = impl->rebuild(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<LivePipeline>(new LivePipeline(std::move(impl)));
}

// Everything of a batch up to its store transaction: memory holds the batch afterwards. A
// batch may be in flight meanwhile (it must not touch db). On an error after the
// near-duplicate index took the batch, memory is rebuilt (after settling the batch in
// flight, whose report then waits in `completed`).
Result<std::unique_ptr<LivePipeline::Impl::Pending>> LivePipeline::Impl::prepare(std::span<const Post> input,
                                                                                 std::span<const ingest::Reject> rejects) {
  Impl& m = *this;
  auto pending = std::make_unique<Pending>();
  Pending& pend = *pending;
  IngestReport& report = pend.report;
  report.results.resize(input.size());

  // Validation and repeated ids (the batch in flight counts as stored).
  std::vector<std::string> ids;
  ids.reserve(input.size());
  for (const Post& post : input) ids.push_back(post.id);
  auto known = m.lookups->has_posts(ids);
  if (!known) return tl::unexpected(known.error());
  std::unordered_set<std::string>& seen = pend.ids;
  std::vector<store::ProcessedPost>& batch = pend.batch;
  batch.reserve(input.size());
  std::vector<size_t> result_of;  // batch index -> results index
  for (size_t i = 0; i < input.size(); ++i) {
    const Post& post = input[i];
    IngestResult& r = report.results[i];
    r.id = post.id;
    if (auto ok = ingest::validate_post(post); !ok) {
      r.outcome = IngestOutcome::kRejected;
      r.reason = ok.error().message;
    } else if (post.created_at_ms == 0) {
      r.outcome = IngestOutcome::kRejected;
      r.reason = "missing created_at (live matching needs the post's time)";
    } else if ((*known)[i] || (m.in_flight && m.in_flight->ids.contains(post.id)) || !seen.insert(post.id).second) {
      r.outcome = IngestOutcome::kDuplicate;
      r.reason = "id already stored";
    } else {
      store::ProcessedPost& p = batch.emplace_back();
      p.post = post;
      result_of.push_back(i);
    }
  }
  std::vector<store::Store::Reject>& reject_rows = pend.reject_rows;
  for (const auto& r : rejects) reject_rows.push_back({r.source.file, r.source.line, r.id, r.reason, r.excerpt});
  for (size_t i = 0; i < input.size(); ++i) {
    const IngestResult& r = report.results[i];
    if (r.outcome != IngestOutcome::kRejected) continue;
    reject_rows.push_back({input[i].source.file.empty() ? "live" : input[i].source.file, input[i].source.line, r.id,
                           r.reason, input[i].text.substr(0, 200)});
  }
  for (const auto& r : rejects) {
    report.results.push_back({r.id, IngestOutcome::kRejected, r.reason, Label::kUnknown, std::nullopt});
  }

  // Near-duplicates (the index is rebuilt from the store if the write fails).
  for (auto& p : batch) p.duplicate_of = m.dedup->add(p.post.id, p.post.text);
  m.processor->process_labels(batch, m.threads);
  if (auto st = m.processor->embed(batch, m.threads); !st) {
    if (auto settled = m.settle(); !settled) return tl::unexpected(st.error());  // settle rebuilt memory
    if (auto rebuilt = m.restore(m.clock); !rebuilt) return tl::unexpected(rebuilt.error());
    return tl::unexpected(st.error());
  }

  std::unique_lock lock(m.state);
  pend.old_clock = m.clock;
  // New posts in memory, in batch order.
  std::vector<uint64_t> new_requests, new_offers;
  std::vector<uint64_t> batch_keys(batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    store::ProcessedPost& p = batch[b];
    IngestResult& r = report.results[result_of[b]];
    r.label = p.label;
    r.duplicate_of = p.duplicate_of;
    const auto key = static_cast<uint64_t>(m.next_seq++);
    batch_keys[b] = key;
    m.clock = std::max(m.clock, p.post.created_at_ms);
    if (p.duplicate_of || p.embedding.size() != m.dim) continue;
    if (!is_request_side(p.label) && !is_offer_side(p.label)) continue;
    Impl::Live live{p.post.id, p.label, {p.post.created_at_ms, p.location.point, p.location.radius_km, p.resources},
                    p.embedding};
    m.posts.emplace(key, std::move(live));
    if (is_request_side(p.label)) new_requests.push_back(key);
    if (is_offer_side(p.label)) new_offers.push_back(key);
  }
  m.clock = m.now_clock(m.clock);
  const match::MatchParams& params = m.options.match;

  // A. New offers join the offer index.
  for (uint64_t key : new_offers) {
    m.offer_index.insert(key, m.posts.at(key).post);
    m.offers.insert(key);
  }
  // B. Each new request's top-n over the offer index (parallel: read-only).
  const double max_radius = [&] {
    double r = 0;
    for (const auto& [key, live] : m.posts) r = std::max(r, live.post.radius_km);
    return r;
  }();
  std::vector<Impl::Request> fresh(new_requests.size());
  parallel_for(new_requests.size(), m.threads, [&](size_t begin, size_t end) {
    std::vector<match::ScoredOffer> kept;
    for (size_t i = begin; i < end; ++i) {
      const uint64_t key = new_requests[i];
      const Impl::Live& req = m.posts.at(key);
      Impl::Request& out = fresh[i];
      out.key = key;
      out.delta_ms = match::request_delta_time_ms(req.post, params);
      kept.clear();
      const bool located = match::is_located(req.post);
      const std::optional<GeoPoint> center = located ? req.post.geo : std::nullopt;
      const double reach = match::request_delta_km(req.post, params) + req.post.radius_km + max_radius;
      const bool windowed = params.method == match::Method::kTts || params.method == match::Method::kNoText;
      const int64_t reach_ms = windowed ? out.delta_ms : INT64_MAX / 4;
      const auto consider = [&](uint64_t offer_key) {
        if (offer_key == key) return;  // a request_and_offer never serves itself
        const Impl::Live& off = m.posts.at(offer_key);
        if (!match::pair_eligible(req.post, off.post, params)) return;
        match::ScoredOffer s;
        s.offer = static_cast<size_t>(offer_key);
        match::score_pair(req.post, req.vec.data(), off.post, off.vec.data(), dim, params, s);
        if (s.score > params.min_score) kept.push_back(s);
      };
      if (!windowed || !located) {
        m.offer_index.for_candidates(std::nullopt, 0, req.post.time_ms, reach_ms, true, consider);
      } else {
        m.offer_index.for_candidates(center, reach, req.post.time_ms, reach_ms, params.allow_unlocated, consider);
      }
      const auto n = std::min(kept.size(), static_cast<size_t>(params.top_n));
      std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(n), kept.end(), match::ranks_before);
      out.top.assign(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(n));
      for (const auto& s : out.top) out.top_ids.push_back(m.posts.at(s.offer).id);
    }
  });

  std::vector<store::NewEvent>& events = pend.events;
  std::vector<MatchEvent>& match_events = report.events;
  std::unordered_set<uint64_t> changed;
  for (size_t i = 0; i < new_requests.size(); ++i) {
    const Impl::Live& req = m.posts.at(new_requests[i]);
    MatchEvent e;
    e.type = store::EventType::kNewRequest;
    e.request_id = req.id;
    e.request_created_at_ms = req.post.time_ms;
    e.offers = m.stored_top(req.id, fresh[i]);
    e.resources = req.post.resources;
    e.geo = req.post.geo;
    e.label = req.label;
    e.at_ms = m.clock;
    match_events.push_back(std::move(e));
    changed.insert(new_requests[i]);
  }

  // C. New offers pushed to the requests already in memory (scores in parallel, applied in
  // offer order so events and ties are deterministic).
  std::vector<std::vector<match::ScoredOffer>> pushes(new_offers.size());
  std::vector<std::vector<uint64_t>> push_requests(new_offers.size());
  const double max_request_radius = [&] {
    double r = 0;
    for (const auto& [key, req] : m.requests) r = std::max(r, m.posts.at(key).post.radius_km);
    return r;
  }();
  const int64_t max_window = match::max_delta_time_ms(params);
  const double max_km = match::max_delta_km(params);
  parallel_for(new_offers.size(), m.threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t key = new_offers[i];
      const Impl::Live& off = m.posts.at(key);
      const bool windowed = params.method == match::Method::kTts || params.method == match::Method::kNoText;
      const auto consider = [&](uint64_t request_key) {
        if (request_key == key) return;
        const Impl::Live& req = m.posts.at(request_key);
        if (!match::pair_eligible(req.post, off.post, params)) return;
        match::ScoredOffer s;
        s.offer = static_cast<size_t>(key);
        match::score_pair(req.post, req.vec.data(), off.post, off.vec.data(), dim, params, s);
        if (s.score > params.min_score) {
          pushes[i].push_back(s);
          push_requests[i].push_back(request_key);
        }
      };
      const int64_t reach_ms = windowed ? max_window : INT64_MAX / 4;
      if (!windowed || !match::is_located(off.post)) {
        m.request_index.for_candidates(std::nullopt, 0, off.post.time_ms, reach_ms, true, consider);
      } else {
        m.request_index.for_candidates(off.post.geo, max_km + off.post.radius_km + max_request_radius, off.post.time_ms,
                                       reach_ms, params.allow_unlocated, consider);
      }
    }
  });
  for (size_t i = 0; i < new_offers.size(); ++i) {
    const Impl::Live& off = m.posts.at(new_offers[i]);
    // Requests in key order, so the events of one offer come out deterministically.
    std::vector<size_t> order(pushes[i].size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return push_requests[i][a] < push_requests[i][b]; });
    for (size_t k : order) {
      const uint64_t request_key = push_requests[i][k];
      Impl::Request& req = m.requests.at(request_key);
      const int rank = m.offer_into(req, pushes[i][k], off.id);
      if (rank == 0) continue;
      changed.insert(request_key);
      const Impl::Live& req_post = m.posts.at(request_key);
      MatchEvent e;
      e.type = store::EventType::kNewMatch;
      e.request_id = req_post.id;
      e.request_created_at_ms = req_post.post.time_ms;
      e.offer_id = off.id;
      e.rank = rank;
      e.offers = m.stored_top(req_post.id, req);
      e.at_ms = m.clock;
      match_events.push_back(std::move(e));
    }
  }
  // D. New requests join the request index.
  for (auto& req : fresh) {
    const uint64_t key = req.key;
    m.request_index.insert(key, m.posts.at(key).post);
    m.request_keys[m.posts.at(key).id] = key;
    m.requests.emplace(key, std::move(req));
  }

  // Top-n lists to store (before eviction, so a request leaving now keeps its final list).
  std::vector<store::RequestTopN>& top_lists = pend.top_lists;
  std::vector<uint64_t> changed_sorted(changed.begin(), changed.end());
  std::sort(changed_sorted.begin(), changed_sorted.end());
  for (uint64_t key : changed_sorted) {
    const std::string& id = m.posts.at(key).id;
    top_lists.push_back({id, m.stored_top(id, m.requests.at(key))});
  }
  for (const auto& e : match_events) events.push_back({e.type, e.payload_json(), e.at_ms});
  pend.expired = m.evict();
  pend.at_ms = m.clock;
  return pending;
}

Result<IngestReport> LivePipeline::ingest(std::span<const Post> input, std::span<const ingest::Reject> rejects) {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is closed");
  if (auto settled = m.settle(); !settled) return tl::unexpected(settled.error());
  auto pending = m.prepare(input, rejects);
  if (!pending) return tl::unexpected(pending.error());
  Impl::Pending& p = **pending;
  auto written = m.db->write_live_batch(m.run_id, p.view());
  if (!written) {
    if (auto rebuilt = m.restore(p.old_clock); !rebuilt) return tl::unexpected(rebuilt.error());
    return tl::unexpected(written.error());
  }
  return m.finish(p, *written);
}

Result<std::vector<IngestReport>> LivePipeline::submit(std::span<const Post> input,
                                                       std::span<const ingest::Reject> rejects) {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is closed");
  // Matching this batch overlaps the previous batch's transaction.
  auto pending = m.prepare(input, rejects);
  if (!pending) return tl::unexpected(pending.error());
  // If the batch in flight failed, settle() rebuilt memory from the store, which drops
  // this batch too.
  if (auto settled = m.settle(); !settled) return tl::unexpected(settled.error());
  m.in_flight = std::move(*pending);
  Impl::Pending* p = m.in_flight.get();
  store::Store* db = m.db.get();
  const int64_t run_id = m.run_id;
  m.in_flight->written =
      std::async(std::launch::async, [db, run_id, p] { return db->write_live_batch(run_id, p->view()); });
  return std::exchange(m.completed, {});
}

Result<std::vector<IngestReport>> LivePipeline::flush() {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is closed");
  if (auto settled = m.settle(); !settled) return tl::unexpected(settled.error());
  return std::exchange(m.completed, {});
}

Result<std::vector<MatchEvent>> LivePipeline::advance_clock(int64_t now_ms) {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is closed");
  if (auto settled = m.settle(); !settled) return tl::unexpected(settled.error());
  std::unique_lock state(m.state);
  const int64_t old_clock = m.clock;
  m.clock = m.now_clock(std::max(m.clock, now_ms));
  const std::vector<std::string> expired = m.evict();
  std::vector<MatchEvent> out;
  if (expired.empty()) return out;
  store::Store::LiveBatch write;
  write.expired_requests = expired;
  write.at_ms = m.clock;
  auto written = m.db->write_live_batch(m.run_id, write);
  if (!written) {
    m.clock = old_clock;
    if (auto rebuilt = m.rebuild(); !rebuilt) return tl::unexpected(rebuilt.error());
    return tl::unexpected(written.error());
  }
  out = expiry_events(written->status_events, expired);
  m.stats.events += out.size();
  m.stats.expired += out.size();
  return out;
}

Result<std::optional<MatchEvent>> LivePipeline::record_decision(const store::DecisionInput& input) {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is closed");
  if (auto settled = m.settle(); !settled) return tl::unexpected(settled.error());
  auto outcome = m.db->record_decision(input);
  if (!outcome) return tl::unexpected(outcome.error());
  if (outcome->after == outcome->before) return std::optional<MatchEvent>();
  if (outcome->after == store::RequestStatus::kServed || outcome->after == store::RequestStatus::kRejected) {
    std::unique_lock state(m.state);
    if (const auto it = m.request_keys.find(input.request_id); it != m.request_keys.end()) m.drop_request(it->second);
  }
  MatchEvent e;
  e.type = store::EventType::kStatusChange;
  e.event_id = outcome->event_id;
  e.request_id = input.request_id;
  e.offer_id = input.offer_id;
  e.from = outcome->before;
  e.to = outcome->after;
  e.reason = std::string(store::decision_name(input.decision));
  e.at_ms = input.at_ms != 0 ? input.at_ms : wall_now_ms();
  m.stats.events += 1;
  return std::optional<MatchEvent>(std::move(e));
}

std::vector<store::StoredMatch> LivePipeline::matches_of(const std::string& request_id) const {
  const Impl& m = *impl_;
  std::shared_lock state(m.state);
  const auto it = m.request_keys.find(request_id);
  if (it == m.request_keys.end()) return {};
  return m.stored_top(request_id, m.requests.at(it->second));
}

LiveStats LivePipeline::stats() const {
  const Impl& m = *impl_;
  std::shared_lock state(m.state);
  LiveStats s = m.stats;
  s.clock_ms = m.clock;
  s.open_requests = m.requests.size();
  s.live_offers = m.offers.size();
  return s;
}

Status LivePipeline::close() {
  Impl& m = *impl_;
  std::lock_guard writer(m.writer);
  if (m.closed) return make_error(ErrorCode::kInvalidArgument, "live: the pipeline is already closed");
  m.closed = true;
  if (auto settled = m.settle(); !settled) return settled;
  m.completed.clear();
  JsonWriter w;
  w.begin_object();
  w.key("stored").value(m.stats.stored);
  w.key("duplicates").value(m.stats.duplicates);
  w.key("rejected").value(m.stats.rejected);
  w.key("events").value(m.stats.events);
  w.key("expired").value(m.stats.expired);
  w.end_object();
  return m.db->finish_run(m.run_id, w.take());
}

}  // namespace crema::engine
