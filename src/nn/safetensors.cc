// Safetensors reader (safetensors.h): mmap, bounds-checked header, zero-copy F32.
#include "crema/nn/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <simdjson.h>

#include "mapped_file.h"

namespace crema::nn {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr int64_t kMaxElements = int64_t{1} << 31;
// Real headers are kilobytes; this bounds the JSON parse of a hostile file.
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

SafeTensors::SafeTensors(SafeTensors&&) noexcept = default;
SafeTensors& SafeTensors::operator=(SafeTensors&&) noexcept = default;
SafeTensors::~SafeTensors() = default;

Result<SafeTensors> SafeTensors::open(const std::string& path) {
  auto map = detail::MappedFile::open(path);
  if (!map) return tl::unexpected(map.error());
  SafeTensors st;
  st.map_ = std::move(*map);
  st.path_ = path;
  return validate(std::move(st));
}

Result<SafeTensors> SafeTensors::parse(std::string_view bytes, std::string_view what) {
  SafeTensors st;
  st.map_ = detail::MappedFile::copy(bytes);
  st.path_ = std::string(what);
  return validate(std::move(st));
}

Result<SafeTensors> SafeTensors::validate(SafeTensors st) {
  const std::string& file = st.path_;
  auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, file + ": " + why); };
  const size_t size = st.map_->size;
  if (size < 8) return corrupt("too short for a safetensors header (" + std::to_string(size) + " bytes)");
  uint64_t header_len = 0;
  std::memcpy(&header_len, st.map_->data, 8);
  if constexpr (std::endian::native == std::endian::big) header_len = __builtin_bswap64(header_len);
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    return corrupt("header length " + std::to_string(header_len) + " exceeds the file (" + std::to_string(size) +
                   " bytes)");
  const size_t data_start = 8 + static_cast<size_t>(header_len);
  const size_t data_size = size - data_start;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string header(st.map_->data + 8, static_cast<size_t>(header_len));
  if (parser.parse(header).get(root)) return corrupt("header is not valid JSON");
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return corrupt("header is not a JSON object");
  for (const auto field : obj) {
    const std::string name(field.key);
    if (name == "__metadata__") {
      simdjson::dom::object meta;
      if (field.value.get_object().get(meta)) return corrupt("__metadata__ is not an object");
      for (const auto m : meta) {
        std::string_view v;
        if (m.value.get_string().get(v)) return corrupt("__metadata__ value '" + std::string(m.key) + "' is not a string");
        st.metadata_.emplace_back(std::string(m.key), std::string(v));
      }
      continue;
    }
    auto bad = [&](const std::string& why) { return corrupt("tensor '" + name + "': " + why); };
    std::string_view dtype;
    simdjson::dom::array shape, offsets;
    if (field.value["dtype"].get_string().get(dtype)) return bad("missing or non-string dtype");
    if (field.value["shape"].get_array().get(shape)) return bad("missing or non-array shape");
    if (field.value["data_offsets"].get_array().get(offsets)) return bad("missing or non-array data_offsets");
    StTensorInfo t;
    t.name = name;
    if (dtype == "F32") t.dtype = StDType::kF32;
    else if (dtype == "F16") t.dtype = StDType::kF16;
    else if (dtype == "BF16") t.dtype = StDType::kBF16;
    else return make_error(ErrorCode::kUnsupported, file + ": tensor '" + name + "': dtype " + std::string(dtype) +
                                                        " not supported (F32, F16, BF16)");
    int64_t n = 1;
    for (const auto d : shape) {
      int64_t v = 0;
      if (d.get_int64().get(v) || v < 0 || v > kMaxDim) return bad("dimension out of range (0..2^31)");
      if (v > 0 && n > kMaxElements / v) return bad("more than 2^31 elements");
      n *= v;
      t.shape.push_back(v);
    }
    if (t.shape.size() > 8) return bad("more than 8 dimensions");
    if (offsets.size() != 2) return bad("data_offsets must hold [begin, end]");
    uint64_t begin = 0, end = 0;
    if (offsets.at(0).get_uint64().get(begin) || offsets.at(1).get_uint64().get(end))
      return bad("data_offsets are not non-negative integers");
    if (begin > end || end > data_size)
      return bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] outside the data area (" +
                 std::to_string(data_size) + " bytes)");
    const uint64_t want = static_cast<uint64_t>(n) * dtype_size(t.dtype);
    if (end - begin != want)
      return bad("shape " + shape_text(t.shape) + " x " + std::string(dtype) + " needs " + std::to_string(want) +
                 " bytes, data_offsets span " + std::to_string(end - begin));
    t.offset = data_start + static_cast<size_t>(begin);
    t.bytes = static_cast<size_t>(end - begin);
    st.tensors_.push_back(std::move(t));
  }
  // Duplicate keys are legal JSON but ambiguous weights.
  std::vector<std::string_view> names;
  for (const auto& t : st.tensors_) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  if (auto it = std::adjacent_find(names.begin(), names.end()); it != names.end())
    return corrupt("tensor '" + std::string(*it) + "' appears twice");
  return st;
}

const StTensorInfo* SafeTensors::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Result<FloatTensor> SafeTensors::get(std::string_view name) const {
  const StTensorInfo* t = find(name);
  if (!t) return make_error(ErrorCode::kNotFound, path_ + ": no tensor '" + std::string(name) + "'");
  return detail::float_tensor(*map_, *t, path_);
}

}  // namespace crema::nn
