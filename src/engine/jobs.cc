// crema::engine::classify and match_posts: one-shot jobs over input files, no store.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include <unistd.h>

#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/engine.h"
#include "input.h"
#include "processor.h"

namespace crema::engine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBatchRecords = 4096;

// Writes a whole output file through a temp file + rename so a crash never leaves a torn file.
class OutputFile {
 public:
  static Result<OutputFile> open(const std::string& path) {
    OutputFile out;
    out.path_ = path;
    out.tmp_ = path + ".tmp";
    out.file_ = std::fopen(out.tmp_.c_str(), "wb");
    if (out.file_ == nullptr) {
      return make_error(ErrorCode::kIoError, "cannot create " + out.tmp_ + ": " + std::strerror(errno));
    }
    return out;
  }
  OutputFile() = default;
  OutputFile(OutputFile&& other) noexcept { *this = std::move(other); }
  OutputFile& operator=(OutputFile&& other) noexcept {
    std::swap(file_, other.file_);
    std::swap(path_, other.path_);
    std::swap(tmp_, other.tmp_);
    return *this;
  }
  ~OutputFile() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(tmp_.c_str());
    }
  }
  Status write_line(const std::string& line) {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF) {
      return make_error(ErrorCode::kIoError, "cannot write " + tmp_);
    }
    return {};
  }
  Status commit() {
    const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      return make_error(ErrorCode::kIoError, "cannot finish " + path_ + ": " + std::strerror(errno));
    }
    return {};
  }

 private:
  std::FILE* file_ = nullptr;
  std::string path_, tmp_;
};

std::string classification_json(const store::ProcessedPost& p) {
  JsonWriter w;
  w.begin_object();
  w.key("id").value(p.post.id);
  w.key("lang").value(p.detected_lang);
  w.key("label").value(label_name(p.label));
  w.key("probs").begin_object();
  for (int k = 0; k < kNumLabels; ++k) {
    w.key(label_name(static_cast<Label>(k))).value(static_cast<double>(p.probs[static_cast<size_t>(k)]));
  }
  w.end_object();
  w.key("resources").begin_array();
  for (const auto& r : p.resources) w.value(r);
  w.end_array();
  w.end_object();
  return w.take();
}

// Reads every input, calling on_batch(batch of fresh ProcessedPosts) after rejects are written.
template <typename OnBatch>
Status for_each_batch(const std::vector<std::string>& inputs, const ingest::ReaderOptions& reader_options,
                      RejectsFile& rejects, uint64_t& read, uint64_t& rejected, const ProgressFn& progress,
                      OnBatch on_batch) {
  const uint64_t total_bytes = total_input_bytes(inputs);
  uint64_t bytes_before = 0;
  InputBatch batch;
  for (const std::string& input : inputs) {
    auto reader = ingest::PostReader::open(input, reader_options);
    if (!reader) return tl::unexpected(reader.error());
    for (bool more = true; more;) {
      if (auto status = read_batch(**reader, input, kBatchRecords, batch); !status) return status;
      more = !batch.end_of_input;
      read += batch.posts.size() + batch.rejects.size();
      rejected += batch.rejects.size();
      if (auto status = rejects.write(batch.rejects); !status) return status;
      std::vector<store::ProcessedPost> processed(batch.posts.size());
      for (size_t i = 0; i < batch.posts.size(); ++i) processed[i].post = std::move(batch.posts[i]);
      if (auto status = on_batch(processed); !status) return status;
      if (progress) progress("read", bytes_before + batch.checkpoint.offset, total_bytes);
    }
    bytes_before += batch.checkpoint.offset;
  }
  return {};
}

// What a one-shot job opens before reading: models, the output file and the rejects file.
struct Job {
  std::unique_ptr<Processor> processor;
  OutputFile out;
  std::unique_ptr<RejectsFile> rejects;

  static Result<Job> open(const std::vector<std::string>& inputs, const std::string& out_path,
                          const std::string& rejects_path, const ModelOptions& models) {
    if (inputs.empty()) return make_error(ErrorCode::kInvalidArgument, "no input files given");
    if (out_path.empty()) return make_error(ErrorCode::kInvalidArgument, "no output file given");
    auto processor = Processor::create(models);
    if (!processor) return tl::unexpected(processor.error());
    auto out = OutputFile::open(out_path);
    if (!out) return tl::unexpected(out.error());
    auto rejects = RejectsFile::open(rejects_path.empty() ? out_path + ".rejects.jsonl" : rejects_path, false);
    if (!rejects) return tl::unexpected(rejects.error());
    return Job{std::move(*processor), std::move(*out), std::move(*rejects)};
  }
};

}  // namespace

Result<ClassifySummary> classify(const ClassifyOptions& options) {
  const auto start = Clock::now();
  auto job = Job::open(options.inputs, options.out_path, options.rejects_path, options.models);
  if (!job) return tl::unexpected(job.error());
  auto& [processor, out, rejects] = *job;

  ingest::ReaderOptions reader_options = options.reader;
  reader_options.require_time = false;  // classification needs no timestamps
  const int threads = resolve_threads(options.threads);
  ClassifySummary summary;
  auto status = for_each_batch(
      options.inputs, reader_options, *rejects, summary.read, summary.rejected, options.progress,
      [&](std::vector<store::ProcessedPost>& batch) -> Status {
        // Input kinds are ignored here: the job is to classify.
        for (auto& p : batch) p.post.kind = Label::kUnknown;
        processor->process_labels(batch, threads);
        for (const auto& p : batch) {
          ++summary.classified;
          switch (p.label) {
            case Label::kRequest: ++summary.requests; break;
            case Label::kOffer: ++summary.offers; break;
            case Label::kRequestAndOffer: ++summary.request_and_offer; break;
            default: ++summary.irrelevant; break;
          }
          if (auto s = out.write_line(classification_json(p)); !s) return s;
        }
        return {};
      });
  if (!status) return tl::unexpected(status.error());
  if (auto s = out.commit(); !s) return tl::unexpected(s.error());
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

Result<MatchJobSummary> match_posts(const MatchJobOptions& options) {
  const auto start = Clock::now();
  auto job = Job::open(options.inputs, options.out_path, options.rejects_path, options.models);
  if (!job) return tl::unexpected(job.error());
  auto& [processor, out, rejects] = *job;

  const int threads = resolve_threads(options.threads);
  const size_t dim = processor->encoder().dim();
  MatchJobSummary summary;
  std::vector<std::string> request_ids, offer_ids;
  std::vector<match::MatchPost> request_posts, offer_posts;
  std::vector<float> request_vectors, offer_vectors;
  std::unordered_set<std::string> seen_ids;  // a repeated id is the same post: first wins

  auto status = for_each_batch(
      options.inputs, options.reader, *rejects, summary.read, summary.rejected, options.progress,
      [&](std::vector<store::ProcessedPost>& batch) -> Status {
        std::erase_if(batch, [&](const store::ProcessedPost& p) {
          const bool repeated = !seen_ids.insert(p.post.id).second;
          summary.repeated_ids += repeated ? 1 : 0;
          return repeated;
        });
        for (const auto& p : batch) summary.classified += p.post.kind == Label::kUnknown ? 1 : 0;
        if (auto s = processor->process(batch, threads); !s) return s;
        for (auto& p : batch) {
          if (p.embedding.empty()) continue;
          const match::MatchPost mp{p.post.created_at_ms, p.post.geo};
          if (p.label == Label::kRequest || p.label == Label::kRequestAndOffer) {
            request_ids.push_back(p.post.id);
            request_posts.push_back(mp);
            request_vectors.insert(request_vectors.end(), p.embedding.begin(), p.embedding.end());
          }
          if (p.label == Label::kOffer || p.label == Label::kRequestAndOffer) {
            offer_ids.push_back(p.post.id);
            offer_posts.push_back(mp);
            offer_vectors.insert(offer_vectors.end(), p.embedding.begin(), p.embedding.end());
          }
        }
        return {};
      });
  if (!status) return tl::unexpected(status.error());

  match::MatchParams params = options.match;
  params.threads = threads;
  // One spare slot: a request_and_offer post is in both pools and is skipped as its own offer.
  params.top_n += 1;
  match::MatchStats stats;
  auto results = match::match({request_posts, request_vectors, dim}, {offer_posts, offer_vectors, dim}, params, &stats);
  if (!results) return tl::unexpected(results.error());
  summary.requests = stats.requests;
  summary.offers = stats.offers;
  summary.unlocated_requests = stats.unlocated_requests;

  JsonWriter w;
  for (const auto& result : *results) {
    w.clear();
    w.begin_object().key("request_id").value(request_ids[result.request]).key("offers").begin_array();
    size_t written = 0;
    for (const auto& offer : result.offers) {
      if (offer_ids[offer.offer] == request_ids[result.request]) continue;  // never serve itself
      if (written == static_cast<size_t>(options.match.top_n)) break;
      w.begin_object().key("id").value(offer_ids[offer.offer]);
      w.key("score").value(static_cast<double>(offer.score)).key("s_text").value(static_cast<double>(offer.s_text));
      w.key("w_time").value(static_cast<double>(offer.w_time)).key("w_loc").value(static_cast<double>(offer.w_loc));
      w.key("km");
      if (offer.km < 0) {
        w.null();
      } else {
        w.value(offer.km);
      }
      w.end_object();
      ++written;
    }
    w.end_array().end_object();
    summary.matches += written;
    summary.matched_requests += written > 0 ? 1 : 0;
    if (auto s = out.write_line(w.str()); !s) return tl::unexpected(s.error());
  }
  if (auto s = out.commit(); !s) return tl::unexpected(s.error());
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace crema::engine
