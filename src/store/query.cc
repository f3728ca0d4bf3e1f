// Read-only queries for the server (include/crema/store/query.h). Plain SQLite C API on
// connections of our own, so the writer's cached statements and transactions are never
// shared with request threads.
#include "crema/store/query.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

namespace crema::store {
namespace {

// What the file has beyond schema v1.
struct Features {
  bool status = false, status_changed = false;
  bool geo_resolved = false, geo_source = false, geo_radius = false;
  bool country = false, extraction = false, user_location = false;
  bool decisions = false, events = false;
  bool decisions_key_name = false;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path), sql_(sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status ok() const {
    if (rc_ == SQLITE_OK) return {};
    return error("prepare");
  }
  void bind(int i, int64_t v) { note(sqlite3_bind_int64(stmt_, i, v)); }
  void bind(int i, double v) { note(sqlite3_bind_double(stmt_, i, v)); }
  void bind(int i, const std::string& v) {
    note(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Result<bool> step() {
    if (rc_ != SQLITE_OK) return tl::unexpected(error("bind").error());
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    rc_ = rc;
    return tl::unexpected(error("step").error());
  }
  bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double f64(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    if (p == nullptr) return {};
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  void note(int rc) {
    if (rc != SQLITE_OK && rc_ == SQLITE_OK) rc_ = rc;
  }
  Status error(std::string_view what) const {
    const ErrorCode code = (rc_ == SQLITE_CORRUPT || rc_ == SQLITE_NOTADB) ? ErrorCode::kCorrupt : ErrorCode::kIoError;
    return make_error(code, path_ + ": query " + std::string(what) + " failed (" + sqlite3_errmsg(db_) +
                                ") in: " + sql_.substr(0, 160));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_, sql_;
  int rc_ = SQLITE_OK;
};

// A read snapshot for the life of the object, so a multi-statement answer is consistent.
class ReadTxn {
 public:
  explicit ReadTxn(sqlite3* db) : db_(db) { sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); }
  ~ReadTxn() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

 private:
  sqlite3* db_;
};

// Resources come out of SQL joined by U+001F (no JSON parser needed here).
std::vector<std::string> split_unit(std::string_view joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = joined.find('\x1f', start);
    if (end == std::string_view::npos) end = joined.size();
    out.emplace_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return make_error(ErrorCode::kInvalidArgument, "not an integer: '" + std::string(s) + "'");
  }
  return v;
}

std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ",?";
  return s;
}

}  // namespace

Result<BBox> parse_bbox(const std::string& text) {
  double v[4];
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t comma = text.find(',', start);
    if ((i < 3) != (comma != std::string::npos)) {
      return make_error(ErrorCode::kInvalidArgument, "bbox must be 'west,south,east,north' (4 numbers), got '" + text + "'");
    }
    const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v[i]);
    if (ec != std::errc() || p != part.data() + part.size() || !std::isfinite(v[i])) {
      return make_error(ErrorCode::kInvalidArgument, "bbox value " + std::to_string(i + 1) + " is not a number: '" + part + "'");
    }
    start = comma + 1;
  }
  BBox b{v[0], v[1], v[2], v[3]};
  if (b.west < -180 || b.west > 180 || b.east < -180 || b.east > 180 || b.south < -90 || b.north > 90 ||
      b.south > b.north) {
    return make_error(ErrorCode::kInvalidArgument,
                      "bbox out of range: longitudes must be in [-180, 180], latitudes in [-90, 90] with south <= north");
  }
  return b;
}

struct QueryDb::Impl {
  std::string path;
  Features f;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<sqlite3*> free;
  std::vector<sqlite3*> all;

  ~Impl() {
    for (sqlite3* db : all) sqlite3_close_v2(db);
  }

  // A pooled connection on loan.
  class Conn {
   public:
    explicit Conn(Impl* impl) : impl_(impl) {
      std::unique_lock lock(impl_->mu);
      impl_->cv.wait(lock, [&] { return !impl_->free.empty(); });
      db_ = impl_->free.back();
      impl_->free.pop_back();
    }
    ~Conn() {
      {
        std::lock_guard lock(impl_->mu);
        impl_->free.push_back(db_);
      }
      impl_->cv.notify_one();
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    sqlite3* get() const { return db_; }

   private:
    Impl* impl_;
    sqlite3* db_ = nullptr;
  };

  std::string post_columns() const {
    std::string c =
        "p.seq, p.id, p.created_at_ms, p.text, p.normalized, p.lang, p.label, p.p_request, p.p_offer, "
        "p.p_request_and_offer, p.p_irrelevant, "
        "(SELECT group_concat(j.value, char(31)) FROM json_each(p.resources) j), ";
    c += f.geo_resolved ? "COALESCE(p.geo_lat, p.lat), COALESCE(p.geo_lon, p.lon), " : "p.lat, p.lon, ";
    c += f.geo_source ? "COALESCE(p.geo_source, CASE WHEN p.lat IS NULL THEN 'none' ELSE 'geotag' END), "
                      : "CASE WHEN p.lat IS NULL THEN 'none' ELSE 'geotag' END, ";
    c += f.geo_radius ? "COALESCE(p.geo_radius_km, 0), " : "0, ";
    c += "p.place, p.user, ";
    c += f.user_location ? "p.user_location, " : "NULL, ";
    c += f.country ? "p.country, " : "NULL, ";
    c += "p.duplicate_of, ";
    c += f.status ? "COALESCE(p.status, 'open'), " : "'open', ";
    c += f.status_changed ? "COALESCE(p.status_changed_at_ms, 0), " : "0, ";
    c += f.extraction ? "p.extraction_json, " : "NULL, ";
    c += "(SELECT COUNT(*) FROM matches m WHERE m.request_id = p.id), "
         "(SELECT score FROM matches m WHERE m.request_id = p.id AND m.rank = 1)";
    return c;
  }
  static constexpr int kPostColumns = 26;

  static PostRow read_post(const Stmt& s, int c0) {
    PostRow r;
    int c = c0;
    r.seq = s.i64(c++);
    r.id = s.text(c++);
    r.created_at_ms = s.i64(c++);
    r.text = s.text(c++);
    r.normalized = s.text(c++);
    r.lang = s.text(c++);
    r.label = s.text(c++);
    for (int k = 0; k < kNumLabels; ++k) r.probs[static_cast<size_t>(k)] = static_cast<float>(s.f64(c++));
    r.resources = split_unit(s.text(c++));
    if (!s.null(c) && !s.null(c + 1)) r.geo = GeoPoint{s.f64(c), s.f64(c + 1)};
    c += 2;
    r.geo_source = s.text(c++);
    r.geo_radius_km = s.f64(c++);
    r.place = s.text(c++);
    r.user = s.text(c++);
    r.user_location = s.text(c++);
    r.country = s.text(c++);
    r.duplicate_of = s.text(c++);
    r.status = s.text(c++);
    r.status_changed_at_ms = s.i64(c++);
    r.extraction_json = s.text(c++);
    r.n_matches = static_cast<uint32_t>(s.i64(c++));
    r.best_score = s.null(c) ? 0.0f : static_cast<float>(s.f64(c));
    return r;
  }
};

QueryDb::QueryDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryDb::~QueryDb() = default;
bool QueryDb::has_lifecycle() const { return impl_->f.status; }
bool QueryDb::has_events() const { return impl_->f.events; }

Result<std::unique_ptr<QueryDb>> QueryDb::open(const std::string& path, size_t connections) {
  if (connections < 1 || connections > 64) {
    return make_error(ErrorCode::kInvalidArgument, "QueryDb: connections must be 1 … 64");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  for (size_t i = 0; i < connections; ++i) {
    sqlite3* db = nullptr;
    // Read-write open (WAL readers need the -shm file) but query_only: this handle never writes.
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close_v2(db);
      return make_error(rc == SQLITE_CANTOPEN ? ErrorCode::kNotFound : ErrorCode::kIoError,
                        path + ": cannot open the store for reading (" + msg + ")");
    }
    impl->all.push_back(db);
    impl->free.push_back(db);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_exec(db, "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
  }
  sqlite3* db = impl->all.front();
  {
    Stmt s(db, "SELECT name FROM pragma_table_info('posts')", path);
    if (auto st = s.ok(); !st) return tl::unexpected(st.error());
    std::set<std::string> cols;
    for (;;) {
      auto row = s.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      cols.insert(s.text(0));
    }
    if (!cols.contains("id") || !cols.contains("label") || !cols.contains("resources")) {
      return make_error(ErrorCode::kCorrupt, path + ": not a crema store (no posts table with id, label, resources)");
    }
    Features& f = impl->f;
    f.status = cols.contains("status");
    f.status_changed = cols.contains("status_changed_at_ms");
    f.geo_resolved = cols.contains("geo_lat") && cols.contains("geo_lon");
    f.geo_source = cols.contains("geo_source");
    f.geo_radius = cols.contains("geo_radius_km");
    f.country = cols.contains("country");
    f.extraction = cols.contains("extraction_json");
    f.user_location = cols.contains("user_location");
  }
  {
    Stmt s(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", path);
    std::set<std::string> tables;
    for (;;) {
      auto row = s.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      tables.insert(s.text(0));
    }
    impl->f.decisions = tables.contains("decisions");
    impl->f.events = tables.contains("events");
  }
  if (impl->f.decisions) {
    Stmt s(db, "SELECT 1 FROM pragma_table_info('decisions') WHERE name = 'key_name'", path);
    auto row = s.step();
    impl->f.decisions_key_name = row && *row;
  }
  return std::unique_ptr<QueryDb>(new QueryDb(std::move(impl)));
}

Result<PostPage> QueryDb::posts(const PostFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxPageSize) {
    return make_error(ErrorCode::kInvalidArgument, "limit must be 1 … " + std::to_string(kMaxPageSize));
  }
  const Features& f = impl_->f;
  std::string where = " WHERE 1";
  std::vector<std::string> texts;  // bound in order of appearance
  std::vector<double> reals;
  struct Bind {
    enum Kind { kText, kReal, kInt } kind;
    size_t index;
    int64_t i = 0;
  };
  std::vector<Bind> binds;
  auto add_text = [&](const std::string& v) {
    texts.push_back(v);
    binds.push_back({Bind::kText, texts.size() - 1});
  };
  auto add_real = [&](double v) {
    reals.push_back(v);
    binds.push_back({Bind::kReal, reals.size() - 1});
  };
  auto add_int = [&](int64_t v) { binds.push_back({Bind::kInt, 0, v}); };

  std::vector<std::string> labels = filter.labels;
  if (labels.empty()) labels = {"request", "request_and_offer"};
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (!filter.include_duplicates) where += " AND p.duplicate_of IS NULL";
  const std::string lat = f.geo_resolved ? "COALESCE(p.geo_lat, p.lat)" : "p.lat";
  const std::string lon = f.geo_resolved ? "COALESCE(p.geo_lon, p.lon)" : "p.lon";
  if (filter.bbox) {
    const BBox& b = *filter.bbox;
    where += " AND " + lat + " BETWEEN ? AND ?";
    add_real(b.south);
    add_real(b.north);
    if (b.west <= b.east) {
      where += " AND " + lon + " BETWEEN ? AND ?";
    } else {
      where += " AND (" + lon + " >= ? OR " + lon + " <= ?)";
    }
    add_real(b.west);
    add_real(b.east);
  }
  if (filter.since_ms) {
    where += " AND p.created_at_ms >= ?";
    add_int(*filter.since_ms);
  }
  if (filter.until_ms) {
    where += " AND p.created_at_ms < ?";
    add_int(*filter.until_ms);
  }
  if (!filter.resources.empty()) {
    where += " AND EXISTS (SELECT 1 FROM json_each(p.resources) j WHERE j.value IN (" +
             placeholders(filter.resources.size()) + "))";
    for (const auto& r : filter.resources) add_text(r);
  }
  if (!filter.statuses.empty()) {
    where += std::string(" AND ") + (f.status ? "COALESCE(p.status, 'open')" : "'open'") + " IN (" +
             placeholders(filter.statuses.size()) + ")";
    for (const auto& s : filter.statuses) add_text(s);
  }
  if (!filter.langs.empty()) {
    where += " AND p.lang IN (" + placeholders(filter.langs.size()) + ")";
    for (const auto& l : filter.langs) add_text(l);
  }
  if (!filter.cursor.empty()) {
    // "<created_at_ms>.<seq>" of the last row of the previous page.
    const size_t dot = filter.cursor.find('.');
    auto t = dot == std::string::npos ? Result<int64_t>(make_error(ErrorCode::kInvalidArgument, ""))
                                      : parse_i64(std::string_view(filter.cursor).substr(0, dot));
    auto q = dot == std::string::npos ? Result<int64_t>(make_error(ErrorCode::kInvalidArgument, ""))
                                      : parse_i64(std::string_view(filter.cursor).substr(dot + 1));
    if (!t || !q) {
      return make_error(ErrorCode::kInvalidArgument, "cursor '" + filter.cursor + "' was not made by this API");
    }
    where += " AND (p.created_at_ms < ? OR (p.created_at_ms = ? AND p.seq < ?))";
    add_int(*t);
    add_int(*t);
    add_int(*q);
  }
  // The page is chosen first on the filter columns alone, then only its rows are read in full:
  // the full column list (resources, match count and best score per row) evaluated for every
  // candidate before the sort made a page of a large store cost seconds. Each label is its
  // own newest-first walk of the posts_label_time index (schema v3), stopped after a page;
  // with `label IN (…)` SQLite would sort every post of those labels instead.
  const std::string order = " ORDER BY p.created_at_ms DESC, p.seq DESC";
  std::string walks;
  for (size_t l = 0; l < labels.size(); ++l) {
    walks += std::string(l ? " UNION ALL " : "") +
             "SELECT * FROM (SELECT p.seq, p.created_at_ms FROM posts p" + where + " AND p.label = ?" + order +
             " LIMIT ?)";
  }
  const std::string sql = "SELECT " + impl_->post_columns() + " FROM posts p WHERE p.seq IN (SELECT w.seq FROM (" +
                          walks + ") w ORDER BY w.created_at_ms DESC, w.seq DESC LIMIT ?)" + order;
  const int64_t rows = static_cast<int64_t>(filter.limit) + 1;

  Impl::Conn conn(impl_.get());
  Stmt s(conn.get(), sql, impl_->path);
  if (auto st = s.ok(); !st) return tl::unexpected(st.error());
  int i = 1;
  for (const std::string& label : labels) {
    for (const Bind& b : binds) {
      if (b.kind == Bind::kText) s.bind(i++, texts[b.index]);
      else if (b.kind == Bind::kReal) s.bind(i++, reals[b.index]);
      else s.bind(i++, b.i);
    }
    s.bind(i++, label);
    s.bind(i++, rows);
  }
  s.bind(i++, rows);
  PostPage page;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    if (page.rows.size() == filter.limit) {
      const PostRow& last = page.rows.back();
      page.next_cursor = std::to_string(last.created_at_ms) + "." + std::to_string(last.seq);
      break;
    }
    page.rows.push_back(Impl::read_post(s, 0));
  }
  return page;
}

Result<std::optional<PostRow>> QueryDb::post(const std::string& id) {
  Impl::Conn conn(impl_.get());
  Stmt s(conn.get(), "SELECT " + impl_->post_columns() + " FROM posts p WHERE p.id = ?", impl_->path);
  if (auto st = s.ok(); !st) return tl::unexpected(st.error());
  s.bind(1, id);
  auto row = s.step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<PostRow>();
  return std::optional<PostRow>(Impl::read_post(s, 0));
}

Result<std::vector<MatchDetail>> QueryDb::matches_of(const std::string& request_id) {
  const Features& f = impl_->f;
  Impl::Conn conn(impl_.get());
  ReadTxn txn(conn.get());
  {
    Stmt s(conn.get(), "SELECT 1 FROM posts WHERE id = ?", impl_->path);
    s.bind(1, request_id);
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return make_error(ErrorCode::kNotFound, "no post with id '" + request_id + "'");
  }
  std::string sql = "SELECT m.rank, m.score, m.s_text, m.w_time, m.w_loc, m.km, " + impl_->post_columns();
  if (f.decisions) {
    const std::string who = f.decisions_key_name ? "d.key_name" : "NULL";
    sql += ", d.decision, d.note, " + who + ", d.at_ms FROM matches m JOIN posts p ON p.id = m.offer_id " +
           "LEFT JOIN decisions d ON d.rowid = (SELECT d2.rowid FROM decisions d2 WHERE d2.request_id = m.request_id "
           "AND d2.offer_id = m.offer_id ORDER BY d2.at_ms DESC, d2.rowid DESC LIMIT 1)";
  } else {
    sql += ", NULL, NULL, NULL, NULL FROM matches m JOIN posts p ON p.id = m.offer_id";
  }
  sql += " WHERE m.request_id = ? ORDER BY m.rank";
  Stmt s(conn.get(), sql, impl_->path);
  if (auto st = s.ok(); !st) return tl::unexpected(st.error());
  s.bind(1, request_id);
  std::vector<MatchDetail> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    MatchDetail m;
    m.rank = static_cast<int>(s.i64(0));
    m.score = static_cast<float>(s.f64(1));
    m.s_text = static_cast<float>(s.f64(2));
    m.w_time = static_cast<float>(s.f64(3));
    m.w_loc = static_cast<float>(s.f64(4));
    m.km = s.null(5) ? -1.0 : s.f64(5);
    m.offer = Impl::read_post(s, 6);
    const int d = 6 + Impl::kPostColumns;
    if (!s.null(d)) m.decision = DecisionRow{s.text(d), s.text(d + 1), s.text(d + 2), s.i64(d + 3)};
    out.push_back(std::move(m));
  }
  return out;
}

Result<Stats> QueryDb::stats() {
  const Features& f = impl_->f;
  Impl::Conn conn(impl_.get());
  ReadTxn txn(conn.get());
  Stats st;
  auto counts = [&](const std::string& sql, std::vector<CountRow>& out) -> Status {
    Stmt s(conn.get(), sql, impl_->path);
    if (auto ok = s.ok(); !ok) return ok;
    for (;;) {
      auto row = s.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      out.push_back(CountRow{s.null(0) ? "" : s.text(0), static_cast<uint64_t>(s.i64(1))});
    }
    return {};
  };
  auto scalar = [&](const std::string& sql, uint64_t& out) -> Status {
    Stmt s(conn.get(), sql, impl_->path);
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    out = *row ? static_cast<uint64_t>(s.i64(0)) : 0;
    return {};
  };
  const std::string orig = " FROM posts p WHERE p.duplicate_of IS NULL";
  const std::string req = orig + " AND p.label IN ('request', 'request_and_offer')";
  Status ok;
  if (!(ok = scalar("SELECT COUNT(*) FROM posts", st.posts))) return tl::unexpected(ok.error());
  if (!(ok = scalar("SELECT COUNT(*) FROM posts WHERE duplicate_of IS NOT NULL", st.duplicates))) {
    return tl::unexpected(ok.error());
  }
  if (!(ok = scalar("SELECT COUNT(*) FROM matches", st.matches))) return tl::unexpected(ok.error());
  const std::pair<std::string, std::vector<CountRow>*> queries[] = {
      {"SELECT p.label, COUNT(*)" + orig + " GROUP BY 1 ORDER BY 2 DESC, 1", &st.by_label},
      {"SELECT j.value, COUNT(*) FROM posts p, json_each(p.resources) j WHERE p.duplicate_of IS NULL"
       " AND p.label IN ('request', 'request_and_offer') GROUP BY 1 ORDER BY 2 DESC, 1",
       &st.requests_by_resource},
      {"SELECT j.value, COUNT(*) FROM posts p, json_each(p.resources) j WHERE p.duplicate_of IS NULL"
       " AND p.label IN ('offer', 'request_and_offer') GROUP BY 1 ORDER BY 2 DESC, 1",
       &st.offers_by_resource},
      {std::string("SELECT ") + (f.status ? "COALESCE(p.status, 'open')" : "'open'") + ", COUNT(*)" + req +
           " GROUP BY 1 ORDER BY 2 DESC, 1",
       &st.requests_by_status},
      {"SELECT p.lang, COUNT(*)" + req + " GROUP BY 1 ORDER BY 2 DESC, 1", &st.requests_by_lang},
      {"SELECT strftime('%Y-%m-%d', p.created_at_ms / 1000, 'unixepoch'), COUNT(*)" + orig +
           " AND p.label IN ('request', 'offer', 'request_and_offer') GROUP BY 1 ORDER BY 1",
       &st.by_day},
  };
  for (const auto& [sql, out] : queries) {
    if (!(ok = counts(sql, *out))) return tl::unexpected(ok.error());
  }
  if (f.country) {
    if (!(ok = counts("SELECT p.country, COUNT(*)" + orig +
                          " AND p.country IS NOT NULL AND p.label IN ('request', 'offer', 'request_and_offer')"
                          " GROUP BY 1 ORDER BY 2 DESC, 1",
                      st.by_country))) {
      return tl::unexpected(ok.error());
    }
  }
  return st;
}

Result<std::vector<EventRow>> QueryDb::events_after(int64_t after_id, size_t limit) {
  std::vector<EventRow> out;
  if (!impl_->f.events) return out;
  Impl::Conn conn(impl_.get());
  Stmt s(conn.get(), "SELECT id, type, payload, at_ms FROM events WHERE id > ? ORDER BY id LIMIT ?", impl_->path);
  if (auto st = s.ok(); !st) return tl::unexpected(st.error());
  s.bind(1, after_id);
  s.bind(2, static_cast<int64_t>(limit));
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(EventRow{s.i64(0), s.text(1), s.text(2), s.i64(3)});
  }
  return out;
}

Result<int64_t> QueryDb::last_event_id() {
  if (!impl_->f.events) return int64_t{0};
  Impl::Conn conn(impl_.get());
  Stmt s(conn.get(), "SELECT COALESCE(MAX(id), 0) FROM events", impl_->path);
  if (auto st = s.ok(); !st) return tl::unexpected(st.error());
  auto row = s.step();
  if (!row) return tl::unexpected(row.error());
  return *row ? s.i64(0) : int64_t{0};
}

}  // namespace crema::store
