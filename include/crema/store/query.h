// crema/store/query.h: read-only queries over a crema store for the HTTP API and the
// dashboard (requests and offers by area, time, resource, status and language with keyset
// pagination; the matches of a request; counts for the stats view; events for SSE).
//
// The store's writer (Store, LivePipeline) may be writing the same file at the same time:
// QueryDb only reads, through its own connections in WAL mode, so a query sees one
// consistent snapshot and never blocks the writer.
//
// Schema versions: works on schema v1 and v2 stores. Columns and tables that v1 lacks
// (request status, resolved geo, country, extraction, decisions, events) read as their
// defaults: status "open", geo = the post's own coordinates, no country, no decisions,
// no events. has_lifecycle() / has_events() say which the file has.
//
// Threads: every method may be called from any number of threads at once (a small pool
// of connections, one per concurrent call; more callers wait for a free one).
// Errors: kIoError / kCorrupt from SQLite naming the file and the operation,
// kInvalidArgument for a bad filter (limit out of range, cursor not from this API,
// bbox with south > north or values out of range).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::store {

// A lon/lat rectangle in WGS84 degrees. west > east means the box crosses the antimeridian.
struct BBox {
  double west = -180, south = -90, east = 180, north = 90;
};

// Parses "west,south,east,north" (the GeoJSON / OGC order). Errors: kInvalidArgument.
Result<BBox> parse_bbox(const std::string& text);

inline constexpr size_t kMaxPageSize = 1000;

struct PostFilter {
  // Labels to return; empty means {"request", "request_and_offer"}.
  std::vector<std::string> labels;
  std::optional<BBox> bbox;               // only posts placed inside (unplaced ones never)
  std::optional<int64_t> since_ms;        // created_at_ms >= since_ms
  std::optional<int64_t> until_ms;        // created_at_ms < until_ms
  std::vector<std::string> resources;     // any of these (empty: all)
  std::vector<std::string> statuses;      // any of these (empty: all); v1 stores: all "open"
  std::vector<std::string> langs;         // detected language, any of these (empty: all)
  bool include_duplicates = false;        // near-duplicates are hidden by default
  size_t limit = 100;                     // 1 … kMaxPageSize
  std::string cursor;                     // next_cursor of the previous page; empty = first
};

// One post as the API shows it. Newest first in pages.
struct PostRow {
  int64_t seq = 0;
  std::string id;
  int64_t created_at_ms = 0;
  std::string text, normalized;
  std::string lang;                       // detected, "und" when unknown
  std::string label;                      // label_name() values
  std::array<float, kNumLabels> probs{};  // request, offer, request_and_offer, irrelevant
  std::vector<std::string> resources;
  std::optional<GeoPoint> geo;            // resolved location (v2) or the geotag (v1)
  std::string geo_source;                 // geotag|place|toponym|user|none
  double geo_radius_km = 0;               // uncertainty of geo; 0 for a geotag
  std::string place, user, user_location;
  std::string country;                    // ISO/ADM0 code from the store; empty when unknown
  std::string duplicate_of;
  std::string status = "open";            // open|partly_served|served|expired|rejected
  int64_t status_changed_at_ms = 0;       // 0 when never changed (or v1)
  std::string extraction_json;            // the post's `crema extract` object; empty if none
  uint32_t n_matches = 0;                 // rows in matches for this request
  float best_score = 0;                   // score of its rank-1 offer (0 when none)
};

struct PostPage {
  std::vector<PostRow> rows;
  std::string next_cursor;  // empty when this is the last page
};

// A dispatcher's decision on one match, latest first.
struct DecisionRow {
  std::string decision;  // confirm|reject|fulfilled
  std::string note;
  std::string key_name;  // who decided (API key name), empty when unknown
  int64_t at_ms = 0;
};

struct MatchDetail {
  int rank = 0;
  float score = 0, s_text = 0, w_time = 0, w_loc = 0;
  double km = -1;  // -1 when either side is unplaced
  PostRow offer;
  std::optional<DecisionRow> decision;  // the latest decision on this pair, if any
};

struct CountRow {
  std::string key;
  uint64_t count = 0;
};

struct Stats {
  uint64_t posts = 0, duplicates = 0, matches = 0;
  std::vector<CountRow> by_label;
  std::vector<CountRow> requests_by_resource, offers_by_resource;
  std::vector<CountRow> requests_by_status;
  std::vector<CountRow> requests_by_lang;
  std::vector<CountRow> by_country;  // from the store's country column (v2); empty on v1
  std::vector<CountRow> by_day;      // "YYYY-MM-DD" (UTC) → requests + offers that day
};

// A row of the events table (schema v2).
struct EventRow {
  int64_t id = 0;
  std::string type;          // new_request|new_match|status_change|…
  std::string payload_json;  // a JSON object
  int64_t at_ms = 0;
};

class QueryDb {
 public:
  // Opens `path` for reading (the file must exist and be a crema store). `connections`
  // bounds how many queries run at once (1 … 64).
  static Result<std::unique_ptr<QueryDb>> open(const std::string& path, size_t connections = 4);
  ~QueryDb();
  QueryDb(const QueryDb&) = delete;
  QueryDb& operator=(const QueryDb&) = delete;

  bool has_lifecycle() const;  // posts carry status (schema v2)
  bool has_events() const;     // an events table exists (schema v2)

  // Posts by the filter, newest first (created_at_ms, then insertion order), one page.
  Result<PostPage> posts(const PostFilter& filter);
  // One post by id (any label), or nullopt.
  Result<std::optional<PostRow>> post(const std::string& id);
  // The stored matches of a request, by rank, with each offer and its latest decision.
  // kNotFound when no post has this id.
  Result<std::vector<MatchDetail>> matches_of(const std::string& request_id);
  // Counts over the whole store (one snapshot); duplicates excluded except in `duplicates`.
  Result<Stats> stats();
  // Events with id > after_id, oldest first, at most `limit`. Empty on a v1 store.
  Result<std::vector<EventRow>> events_after(int64_t after_id, size_t limit);
  // The highest event id (0 when none).
  Result<int64_t> last_event_id();

 private:
  struct Impl;
  explicit QueryDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::store
