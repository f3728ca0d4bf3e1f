// Index factory strings, shared argument checks and the versioned index file.
#include "crema/match/index.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "index_backend.h"

namespace crema::match {
namespace {

constexpr char kMagic[8] = {'C', 'R', 'E', 'M', 'A', 'I', 'D', 'X'};
// Bounds what a corrupt header can make load allocate or accept.
constexpr uint32_t kMaxDim = 1 << 16;
constexpr uint32_t kMaxFactory = 256;

tl::unexpected<Error> bad_factory(std::string_view factory) {
  return make_error(ErrorCode::kInvalidArgument, "unknown index factory '" + std::string(factory) +
                                                     "' (known: flat, ivf<N>,flat, ivf<N>,pq<M>, hnsw<M>, hnswlib<M>)");
}

// Parses a positive decimal after `prefix` in s (the whole of s), else 0.
int number_after(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return 0;
  int v = 0;
  const char* first = s.data() + prefix.size();
  const char* last = s.data() + s.size();
  auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || v <= 0) return 0;
  return v;
}

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

template <typename T>
bool take(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

}  // namespace

Result<IndexSpec> parse_index_spec(std::string_view factory) {
  std::string s(factory);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  IndexSpec spec;
  if (s == "flat") {
    spec.kind = IndexSpec::Kind::kFlat;
    spec.canonical = "flat";
    return spec;
  }
  const size_t comma = s.find(',');
  if (comma != std::string::npos) {
    const std::string_view head = std::string_view(s).substr(0, comma);
    const std::string_view tail = std::string_view(s).substr(comma + 1);
    spec.lists = number_after(head, "ivf");
    if (spec.lists == 0) return bad_factory(factory);
    if (tail == "flat") {
      spec.kind = IndexSpec::Kind::kIvfFlat;
    } else if ((spec.m = number_after(tail, "pq")) > 0) {
      spec.kind = IndexSpec::Kind::kIvfPq;
    } else {
      return bad_factory(factory);
    }
    spec.canonical = s;
    return spec;
  }
  if ((spec.m = number_after(s, "hnswlib")) > 0) {
    spec.kind = IndexSpec::Kind::kHnswlib;
  } else if ((spec.m = number_after(s, "hnsw")) > 0) {
    spec.kind = IndexSpec::Kind::kHnsw;
  } else {
    return bad_factory(factory);
  }
  if (spec.m < 2 || spec.m > 256) {
    return make_error(ErrorCode::kInvalidArgument, "index factory '" + std::string(factory) + "': M must be in [2, 256]");
  }
  spec.canonical = s;
  return spec;
}

namespace detail {

Status check_rows(std::span<const float> floats, size_t dim, const char* what) {
  if (floats.size() % dim != 0) {
    return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": " + std::to_string(floats.size()) +
                                                       " floats is not a whole number of rows of dimension " +
                                                       std::to_string(dim));
  }
  for (size_t i = 0; i < floats.size(); ++i) {
    if (!std::isfinite(floats[i])) {
      return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": row " + std::to_string(i / dim) +
                                                         " has a NaN or infinite component");
    }
  }
  return {};
}

Status IndexBase::check_add(std::span<const int64_t> ids, std::span<const float> vectors) const {
  if (auto st = check_rows(vectors, dim_, "index add"); !st) return st;
  if (vectors.size() / dim_ != ids.size()) {
    return make_error(ErrorCode::kInvalidArgument, "index add: " + std::to_string(ids.size()) + " ids for " +
                                                       std::to_string(vectors.size() / dim_) + " vectors");
  }
  std::unordered_set<int64_t> batch;
  batch.reserve(ids.size());
  for (const int64_t id : ids) {
    if (id < 0) return make_error(ErrorCode::kInvalidArgument, "index add: negative id " + std::to_string(id));
    if (live_.count(id) != 0 || !batch.insert(id).second) {
      return make_error(ErrorCode::kInvalidArgument, "index add: id " + std::to_string(id) + " is already present");
    }
  }
  return {};
}

Status IndexBase::check_search(std::span<const float> queries, size_t k, std::span<const Neighbor> out) const {
  if (k == 0) return make_error(ErrorCode::kInvalidArgument, "index search: k must be at least 1");
  if (auto st = check_rows(queries, dim_, "index search"); !st) return st;
  if (out.size() < queries.size() / dim_ * k) {
    return make_error(ErrorCode::kInvalidArgument, "index search: output holds " + std::to_string(out.size()) +
                                                       " neighbours, need " + std::to_string(queries.size() / dim_ * k));
  }
  return {};
}

}  // namespace detail

Result<std::unique_ptr<Index>> make_index(std::string_view factory, size_t dim, const IndexOptions& options) {
  auto spec = parse_index_spec(factory);
  if (!spec) return tl::unexpected(spec.error());
  if (dim == 0 || dim > kMaxDim) {
    return make_error(ErrorCode::kInvalidArgument, "index dimension must be in [1, " + std::to_string(kMaxDim) + "]");
  }
  if (spec->kind == IndexSpec::Kind::kIvfPq && dim % static_cast<size_t>(spec->m) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "index '" + spec->canonical + "': pq" + std::to_string(spec->m) +
                                                       " must divide the dimension " + std::to_string(dim));
  }
  if (spec->kind == IndexSpec::Kind::kHnswlib) return detail::make_hnswlib_index(*spec, dim, options);
  return detail::make_faiss_index(*spec, dim, options);
}

Status save_index(const Index& index, const std::string& path) {
  auto payload = index.serialize();
  if (!payload) return tl::unexpected(payload.error());
  std::string out;
  out.reserve(payload->size() + 64);
  out.append(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kIndexFormatVersion);
  put<uint32_t>(out, static_cast<uint32_t>(index.dim()));
  put<uint32_t>(out, static_cast<uint32_t>(index.spec().canonical.size()));
  out += index.spec().canonical;
  put<uint64_t>(out, index.size());
  put<uint64_t>(out, payload->size());
  put<uint64_t>(out, fnv1a(kFnvOffset, *payload));
  out += *payload;
  return write_file_atomic(path, out);
}

Result<std::unique_ptr<Index>> load_index(const std::string& path, const IndexOptions& options) {
  auto content = read_file(path);
  if (!content) return tl::unexpected(content.error());
  const auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, path + ": " + why); };
  std::string_view in(*content);
  if (in.size() < sizeof(kMagic) || std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not a crema index file (bad magic)");
  }
  in.remove_prefix(sizeof(kMagic));
  uint32_t version = 0, dim = 0, factory_len = 0;
  uint64_t count = 0, payload_size = 0, checksum = 0;
  if (!take(in, version)) return corrupt("truncated header");
  if (version != kIndexFormatVersion) {
    return make_error(ErrorCode::kUnsupported, path + ": index format version " + std::to_string(version) +
                                                   " (this build reads " + std::to_string(kIndexFormatVersion) + ")");
  }
  if (!take(in, dim) || !take(in, factory_len)) return corrupt("truncated header");
  if (dim == 0 || dim > kMaxDim) return corrupt("bad dimension " + std::to_string(dim));
  if (factory_len == 0 || factory_len > kMaxFactory || in.size() < factory_len) return corrupt("bad factory string");
  const std::string factory(in.substr(0, factory_len));
  in.remove_prefix(factory_len);
  if (!take(in, count) || !take(in, payload_size) || !take(in, checksum)) return corrupt("truncated header");
  if (in.size() != payload_size) {
    return corrupt("payload is " + std::to_string(in.size()) + " bytes, header says " + std::to_string(payload_size) +
                   " (truncated or trailing bytes)");
  }
  if (fnv1a(kFnvOffset, in) != checksum) return corrupt("checksum mismatch");
  auto spec = parse_index_spec(factory);
  if (!spec) return corrupt("unknown factory '" + factory + "'");
  auto index = spec->kind == IndexSpec::Kind::kHnswlib ? detail::load_hnswlib_index(*spec, dim, in, options)
                                                       : detail::load_faiss_index(*spec, dim, in, options);
  if (!index) return corrupt(index.error().message);
  if ((*index)->dim() != dim || (*index)->size() != count) {
    return corrupt("payload holds " + std::to_string((*index)->size()) + " vectors of dimension " +
                   std::to_string((*index)->dim()) + ", header says " + std::to_string(count) + " of " +
                   std::to_string(dim));
  }
  return index;
}

}  // namespace crema::match
