// crema::engine::run: the whole pipeline over a store.
#include <chrono>
#include <future>
#include <unordered_set>

#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/engine.h"
#include "crema/ingest/dedup.h"
#include "input.h"
#include "processor.h"

namespace crema::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string config_json(const RunOptions& options, const std::string& encoder) {
  JsonWriter w;
  w.begin_object();
  w.key("encoder").value(encoder);
  w.key("classifier_dir").value(options.models.classifier_dir);
  w.key("prefilter").value(options.models.prefilter);
  w.key("method").value(match::method_name(options.match.method));
  w.key("delta_time_ms").value(options.match.delta_time_ms);
  w.key("delta_km").value(options.match.delta_km);
  w.key("top_n").value(options.match.top_n);
  w.key("allow_unlocated").value(options.match.allow_unlocated);
  w.key("batch_size").value(static_cast<uint64_t>(options.batch_size));
  w.end_object();
  return w.take();
}

void count_label(RunSummary& summary, const store::ProcessedPost& p) {
  if (p.prefilter_pass.has_value() && !*p.prefilter_pass) {
    ++summary.prefilter_dropped;
    return;
  }
  switch (p.label) {
    case Label::kRequest: ++summary.requests; break;
    case Label::kOffer: ++summary.offers; break;
    case Label::kRequestAndOffer: ++summary.request_and_offer; break;
    case Label::kIrrelevant: ++summary.irrelevant; break;
    case Label::kUnknown: break;
  }
}

// Flattens MatchRows into the matcher's view. `rows` must outlive the returned spans.
struct MatchView {
  std::vector<match::MatchPost> posts;
  std::vector<float> vectors;
  size_t dim = 0;
  match::MatchSet set() const { return {posts, vectors, dim}; }
};

Result<MatchView> match_view(const std::vector<store::MatchRow>& rows, size_t dim) {
  MatchView view;
  view.dim = dim;
  view.posts.reserve(rows.size());
  view.vectors.reserve(rows.size() * dim);
  for (const auto& row : rows) {
    if (row.embedding.size() != dim) {
      return make_error(ErrorCode::kInvalidArgument,
                        "post " + row.id + " has a " + std::to_string(row.embedding.size()) +
                            "-d embedding but the encoder makes " + std::to_string(dim) +
                            "-d vectors; was the store filled with another encoder? Use a new --db.");
    }
    view.posts.push_back({row.created_at_ms, row.geo, row.radius_km, row.resources});
    view.vectors.insert(view.vectors.end(), row.embedding.begin(), row.embedding.end());
  }
  return view;
}

// Matches every stored request against every stored offer and replaces the stored matches.
Status match_store(store::Store& db, int64_t run_id, const RunOptions& options, size_t dim, RunSummary& summary) {
  auto requests = db.load_for_matching(Label::kRequest);
  if (!requests) return tl::unexpected(requests.error());
  auto offers = db.load_for_matching(Label::kOffer);
  if (!offers) return tl::unexpected(offers.error());
  auto request_view = match_view(*requests, dim);
  if (!request_view) return tl::unexpected(request_view.error());
  auto offer_view = match_view(*offers, dim);
  if (!offer_view) return tl::unexpected(offer_view.error());

  match::MatchParams params = options.match;
  params.threads = resolve_threads(options.threads);
  // One spare slot: a request_and_offer post is in both pools and is skipped as its own offer.
  params.top_n += 1;
  match::MatchStats stats;
  auto results = match::match(request_view->set(), offer_view->set(), params, &stats);
  if (!results) return tl::unexpected(results.error());

  std::vector<store::StoredMatch> stored;
  for (const auto& result : *results) {
    const std::string& request_id = (*requests)[result.request].id;
    int rank = 0;
    for (const auto& offer : result.offers) {
      const std::string& offer_id = (*offers)[offer.offer].id;
      // A request_and_offer post is in both pools; it never serves itself.
      if (offer_id == request_id) continue;
      if (rank == options.match.top_n) break;
      stored.push_back({request_id, offer_id, ++rank, offer.score, offer.s_text, offer.w_time, offer.w_loc, offer.km});
    }
    if (rank > 0) ++summary.matched_requests;
  }
  summary.match_requests = stats.requests;
  summary.match_offers = stats.offers;
  summary.unlocated_requests = stats.unlocated_requests;
  summary.matches = stored.size();
  return db.replace_matches(run_id, stored);
}

// Commits batches on a second thread, so that one batch's fsync overlaps the reading,
// labelling and embedding of the next. Batches still commit one at a time, in input order,
// each with its checkpoint, so what a crash leaves and what --resume does are unchanged.
class BackgroundWriter {
 public:
  BackgroundWriter(store::Store& db, int64_t run_id, RejectsFile& rejects_file)
      : db_(db), run_id_(run_id), rejects_file_(rejects_file) {}
  ~BackgroundWriter() {
    if (pending_.valid()) pending_.wait();
  }
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Waits for the batch in flight (returning its error, if any), then starts this one.
  Status submit(std::vector<store::ProcessedPost> posts, std::vector<ingest::Reject> rejects,
                store::Checkpoint checkpoint) {
    if (auto status = wait(); !status) return status;
    pending_ = std::async(std::launch::async, [this, posts = std::move(posts), rejects = std::move(rejects),
                                               checkpoint = std::move(checkpoint)]() -> Status {
      const auto t0 = Clock::now();
      std::vector<store::Store::Reject> rows;
      rows.reserve(rejects.size());
      for (const auto& r : rejects) rows.push_back({r.source.file, r.source.line, r.id, r.reason, r.excerpt});
      auto written = db_.write_batch(run_id_, posts, rows, checkpoint);
      if (!written) return tl::unexpected(written.error());
      inserted_ += written->inserted;
      existing_ += written->existing;
      // Rejects are in the store now; the file is the user's copy, written after commit.
      if (auto status = rejects_file_.write(rejects); !status) return status;
      seconds_ += seconds_since(t0);
      return {};
    });
    return {};
  }

  // Waits for the batch in flight. The counters are only read after this.
  Status wait() {
    if (!pending_.valid()) return {};
    return pending_.get();
  }
  uint64_t inserted() const { return inserted_; }
  uint64_t existing() const { return existing_; }
  double seconds() const { return seconds_; }

 private:
  store::Store& db_;
  const int64_t run_id_;
  RejectsFile& rejects_file_;
  std::future<Status> pending_;
  uint64_t inserted_ = 0, existing_ = 0;
  double seconds_ = 0;
};

}  // namespace

Result<RunSummary> run(const RunOptions& options) {
  const auto start = Clock::now();
  if (options.inputs.empty()) return make_error(ErrorCode::kInvalidArgument, "no input files given");
  if (options.out_dir.empty()) return make_error(ErrorCode::kInvalidArgument, "no output directory given");
  if (options.batch_size == 0) return make_error(ErrorCode::kInvalidArgument, "batch size must be positive");
  if (auto status = ensure_directory(options.out_dir); !status) return tl::unexpected(status.error());

  RunSummary summary;
  summary.db_path = options.db_path.empty() ? options.out_dir + "/crema.sqlite" : options.db_path;
  summary.rejects_path = options.out_dir + "/rejects.jsonl";
  summary.posts_jsonl = options.out_dir + "/posts.jsonl";
  summary.posts_csv = options.out_dir + "/posts.csv";
  summary.matches_jsonl = options.out_dir + "/matches.jsonl";
  summary.matches_csv = options.out_dir + "/matches.csv";

  auto processor = Processor::create(options.models);
  if (!processor) return tl::unexpected(processor.error());
  const embed::Encoder& encoder = (*processor)->encoder();
  summary.encoder = std::string(encoder.name());

  auto opened = store::Store::open(summary.db_path);
  if (!opened) return tl::unexpected(opened.error());
  store::Store& db = **opened;

  // Which run, and where each input stands.
  int64_t run_id = 0;
  std::vector<store::Checkpoint> checkpoints;
  if (options.resume) {
    auto open_run = db.last_open_run();
    if (!open_run) return tl::unexpected(open_run.error());
    if (!*open_run) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--resume: " + summary.db_path + " has no interrupted run to resume");
    }
    run_id = **open_run;
    auto saved = db.checkpoints(run_id);
    if (!saved) return tl::unexpected(saved.error());
    checkpoints = std::move(*saved);
  } else {
    auto begun = db.begin_run({options.command_line, options.inputs, config_json(options, summary.encoder)});
    if (!begun) return tl::unexpected(begun.error());
    run_id = *begun;
  }

  auto rejects_file = RejectsFile::open(summary.rejects_path, options.resume);
  if (!rejects_file) return tl::unexpected(rejects_file.error());
  // A second connection for the id lookups, which run while the writer thread commits.
  auto lookups = store::Store::open(summary.db_path);
  if (!lookups) return tl::unexpected(lookups.error());

  // The near-duplicate index covers everything already stored, so new posts link to old ones.
  ingest::NearDuplicateIndex dedup;
  if (auto status = db.for_each_original([&](const std::string& id, const std::string& text) { dedup.add(id, text); });
      !status) {
    return tl::unexpected(status.error());
  }

  const int threads = resolve_threads(options.threads);
  const uint64_t total_bytes = total_input_bytes(options.inputs);
  uint64_t bytes_before_input = 0;
  InputBatch batch;
  std::vector<store::ProcessedPost> processed;
  std::unordered_set<std::string> batch_ids;
  std::unordered_set<std::string> in_flight_ids;  // the batch the writer may not have committed yet
  std::vector<std::string> ids;
  BackgroundWriter writer(db, run_id, **rejects_file);

  for (const std::string& input : options.inputs) {
    auto reader = ingest::PostReader::open(input, options.reader);
    if (!reader) return tl::unexpected(reader.error());
    for (const auto& checkpoint : checkpoints) {
      if (checkpoint.input != input) continue;
      if (auto status = (*reader)->seek(checkpoint.offset, checkpoint.line); !status) {
        return tl::unexpected(status.error());
      }
    }
    for (bool more = true; more;) {
      auto t0 = Clock::now();
      if (auto status = read_batch(**reader, input, options.batch_size, batch); !status) {
        return tl::unexpected(status.error());
      }
      more = !batch.end_of_input;
      summary.read += batch.posts.size() + batch.rejects.size();
      summary.rejected += batch.rejects.size();

      // Skip ids already stored (or repeated in this batch) before doing any work on them.
      processed.clear();
      batch_ids.clear();
      ids.clear();
      for (const Post& post : batch.posts) ids.push_back(post.id);
      auto known = (*lookups)->has_posts(ids);
      if (!known) return tl::unexpected(known.error());
      for (size_t i = 0; i < batch.posts.size(); ++i) {
        Post& post = batch.posts[i];
        if ((*known)[i] || in_flight_ids.count(post.id) > 0 || !batch_ids.insert(post.id).second) {
          ++summary.existing;
          continue;
        }
        store::ProcessedPost p;
        p.post = std::move(post);
        p.duplicate_of = dedup.add(p.post.id, p.post.text);
        if (p.duplicate_of) ++summary.duplicates;
        processed.push_back(std::move(p));
      }
      summary.ingest_seconds += seconds_since(t0);

      t0 = Clock::now();
      (*processor)->process_labels(processed, threads);
      summary.label_seconds += seconds_since(t0);
      t0 = Clock::now();
      if (auto status = (*processor)->embed(processed, threads); !status) return tl::unexpected(status.error());
      summary.embed_seconds += seconds_since(t0);
      for (const auto& p : processed) count_label(summary, p);

      in_flight_ids.swap(batch_ids);
      if (auto status = writer.submit(std::move(processed), std::move(batch.rejects), batch.checkpoint); !status) {
        return tl::unexpected(status.error());
      }
      processed = {};
      batch.rejects = {};

      if (options.progress) options.progress("ingest", bytes_before_input + batch.checkpoint.offset, total_bytes);
    }
    bytes_before_input += batch.checkpoint.offset;
  }
  if (auto status = writer.wait(); !status) return tl::unexpected(status.error());
  summary.inserted = writer.inserted();
  summary.existing += writer.existing();
  summary.store_seconds = writer.seconds();

  auto t0 = Clock::now();
  if (options.progress) options.progress("match", 0, 0);
  if (auto status = match_store(db, run_id, options, encoder.dim(), summary); !status) {
    return tl::unexpected(status.error());
  }
  summary.match_seconds = seconds_since(t0);

  t0 = Clock::now();

  const std::pair<Status (store::Store::*)(const std::string&), const std::string*> exports[] = {
      {&store::Store::export_posts_jsonl, &summary.posts_jsonl},
      {&store::Store::export_posts_csv, &summary.posts_csv},
      {&store::Store::export_matches_jsonl, &summary.matches_jsonl},
      {&store::Store::export_matches_csv, &summary.matches_csv}};
  for (const auto& [export_fn, path] : exports) {
    if (auto status = (db.*export_fn)(*path); !status) return tl::unexpected(status.error());
  }
  summary.export_seconds = seconds_since(t0);
  summary.seconds = seconds_since(start);
  if (auto status = db.finish_run(run_id, summary.to_json()); !status) return tl::unexpected(status.error());
  return summary;
}

}  // namespace crema::engine
