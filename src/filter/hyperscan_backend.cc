// Hyperscan backend: one block-mode database over all patterns; scratch space per concurrent
// caller from a pool cloned from a prototype, so const matching is thread-safe.
#include <hs.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "backends.h"

namespace crema::filter::detail {
namespace {

constexpr unsigned kFlags =
    HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL;

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using Database = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using Scratch = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

// Scratch spaces not in use; a caller takes one (or clones the prototype) and gives it back.
class ScratchPool {
 public:
  explicit ScratchPool(Scratch prototype) : prototype_(std::move(prototype)) {}

  Scratch acquire() const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        Scratch s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(prototype_.get(), &clone) != HS_SUCCESS) return nullptr;
    return Scratch(clone);
  }

  void release(Scratch s) const {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(s));
  }

 private:
  Scratch prototype_;
  mutable std::mutex mutex_;
  mutable std::vector<Scratch> free_;
};

struct MatchContext {
  std::vector<char>* fired;  // by pattern index
  bool stop_at_first;
  bool any = false;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* context) {
  auto* ctx = static_cast<MatchContext*>(context);
  ctx->any = true;
  if (ctx->fired != nullptr) (*ctx->fired)[id] = 1;
  return ctx->stop_at_first ? 1 : 0;  // non-zero stops the scan
}

class HyperscanPrefilter final : public Prefilter {
 public:
  HyperscanPrefilter(std::vector<Pattern> patterns, Database db, Scratch prototype)
      : patterns_(std::move(patterns)), db_(std::move(db)), pool_(std::move(prototype)) {}

  bool matches(std::string_view text) const override {
    MatchContext ctx{nullptr, true};
    scan(text, ctx);
    return ctx.any;
  }

  std::vector<int> matching_ids(std::string_view text) const override {
    std::vector<char> fired(patterns_.size(), 0);
    MatchContext ctx{&fired, false};
    scan(text, ctx);
    std::vector<int> ids;
    for (size_t i = 0; i < fired.size(); ++i) {
      if (fired[i] != 0) ids.push_back(patterns_[i].id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  const std::vector<Pattern>& patterns() const override { return patterns_; }
  const char* backend_name() const override { return "hyperscan"; }

 private:
  void scan(std::string_view text, MatchContext& ctx) const {
    std::string sanitized;
    const std::string_view input = sanitize_utf8(text, sanitized) ? sanitized : text;
    Scratch scratch = pool_.acquire();
    if (!scratch) return;  // out of memory: nothing can be matched
    // Hyperscan takes an unsigned int length; posts are far below 4 GiB.
    hs_scan(db_.get(), input.data(), static_cast<unsigned int>(input.size()), 0, scratch.get(),
            on_match, &ctx);
    pool_.release(std::move(scratch));
  }

  std::vector<Pattern> patterns_;
  Database db_;
  ScratchPool pool_;
};

}  // namespace

Result<std::unique_ptr<Prefilter>> compile_hyperscan(std::vector<Pattern> patterns) {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags(patterns.size(), kFlags);
  std::vector<unsigned> ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    expressions.push_back(patterns[i].regex.c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &db,
                       &error) != HS_SUCCESS) {
    std::string where = "prefilter";
    if (error != nullptr && error->expression >= 0 &&
        static_cast<size_t>(error->expression) < patterns.size()) {
      const Pattern& p = patterns[static_cast<size_t>(error->expression)];
      where = "prefilter pattern " + std::to_string(p.id) + " (" + p.name + ")";
    }
    const std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown error";
    hs_free_compile_error(error);
    return make_error(ErrorCode::kInvalidArgument, where + ": hyperscan: " + message);
  }
  Database database(db);
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(database.get(), &scratch) != HS_SUCCESS) {
    return make_error(ErrorCode::kInternal, "prefilter: hyperscan could not allocate scratch space");
  }
  return std::unique_ptr<Prefilter>(
      new HyperscanPrefilter(std::move(patterns), std::move(database), Scratch(scratch)));
}

}  // namespace crema::filter::detail
