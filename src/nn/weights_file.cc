// The .crnn weights container (crema/nn/weights_file.h): writer, and a reader that checks
// every field before it trusts it.
#include "crema/nn/weights_file.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "half.h"

namespace crema::nn {
namespace {

constexpr char kMagic[8] = {'C', 'R', 'E', 'M', 'A', 'N', 'N', '\0'};
constexpr size_t kAlign = 64;
constexpr uint32_t kMaxName = 4096;
constexpr uint32_t kMaxDims = 8;

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

// Bounds-checked cursor over the header.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  bool get(T& v) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_string(uint32_t n, std::string& s) {
    if (bytes_.size() - pos_ < n) return false;
    s.assign(bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

uint64_t checksum(std::string_view bytes) { return fnv1a(kFnvOffset, bytes); }

// Elements in shape, or -1 when a dim is negative or the product exceeds the limit.
int64_t checked_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (const int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMaxTensorElements / d)) return -1;
    n *= d;
  }
  return n <= kMaxTensorElements ? n : -1;
}

// Number of int8 scales for a tensor quantised along axis.
int64_t scale_count(const std::vector<int64_t>& shape, int axis) {
  if (shape.empty()) return 1;
  return shape[static_cast<size_t>(axis)];
}

// Calls fn(element index, slice index along axis) for every element.
template <typename Fn>
void for_each_slice(const std::vector<int64_t>& shape, int axis, Fn fn) {
  const int64_t n = checked_numel(shape);
  if (shape.empty()) {
    fn(0, 0);
    return;
  }
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t len = shape[static_cast<size_t>(axis)];
  for (int64_t i = 0; i < n; ++i) fn(i, (i / inner) % len);
}

}  // namespace

int64_t Tensor::numel() const { return checked_numel(shape); }

const Tensor* WeightsFile::find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &tensors[i];
  return nullptr;
}

Result<std::string> encode_weights(std::string_view kind, std::span<const TensorToWrite> tensors) {
  if (tensors.size() > kMaxTensors) return make_error(ErrorCode::kInvalidArgument, "too many tensors");
  // Data blobs first, so the header can carry offsets and checksums.
  std::vector<std::string> blobs;
  blobs.reserve(tensors.size());
  for (const auto& t : tensors) {
    const int64_t n = checked_numel(t.shape);
    if (n < 0 || static_cast<size_t>(n) != t.data.size() || t.shape.size() > kMaxDims || t.name.size() > kMaxName)
      return make_error(ErrorCode::kInvalidArgument, "tensor '" + t.name + "': shape does not match its data");
    const int last = std::max(0, static_cast<int>(t.shape.size()) - 1);
    if (t.store_as == DType::kI8 && t.quant_axis != 0 && t.quant_axis != last)
      return make_error(ErrorCode::kInvalidArgument, "tensor '" + t.name + "': quant axis must be 0 or the last");
    std::string blob;
    switch (t.store_as) {
      case DType::kF32:
        blob.assign(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
        break;
      case DType::kF16:
        for (const float v : t.data) put<uint16_t>(blob, float_to_half(v));
        break;
      case DType::kI8: {
        std::vector<float> amax(static_cast<size_t>(scale_count(t.shape, t.quant_axis)), 0.0f);
        for_each_slice(t.shape, t.quant_axis, [&](int64_t i, int64_t s) {
          amax[static_cast<size_t>(s)] = std::max(amax[static_cast<size_t>(s)], std::fabs(t.data[static_cast<size_t>(i)]));
        });
        std::vector<float> scale(amax.size());
        for (size_t s = 0; s < amax.size(); ++s) scale[s] = amax[s] > 0 ? amax[s] / 127.0f : 1.0f;
        blob.resize(t.data.size());
        for_each_slice(t.shape, t.quant_axis, [&](int64_t i, int64_t s) {
          const float q = std::nearbyint(t.data[static_cast<size_t>(i)] / scale[static_cast<size_t>(s)]);
          blob[static_cast<size_t>(i)] = static_cast<char>(static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f)));
        });
        for (const float s : scale) put<float>(blob, s);
        break;
      }
    }
    blobs.push_back(std::move(blob));
  }
  // Header size is known once the names are: compute it, then lay the data out.
  size_t header = sizeof(kMagic) + 12 + kind.size() + sizeof(uint64_t);
  for (const auto& t : tensors) header += 4 + t.name.size() + 4 + 8 * t.shape.size() + 24;
  size_t offset = (header + kAlign - 1) / kAlign * kAlign;
  std::string out(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kWeightsFormatVersion);
  put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  put<uint32_t>(out, static_cast<uint32_t>(kind.size()));
  out.append(kind);
  std::vector<size_t> offsets;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    put<uint32_t>(out, static_cast<uint32_t>(t.name.size()));
    out.append(t.name);
    put<uint8_t>(out, static_cast<uint8_t>(t.store_as));
    put<uint8_t>(out, static_cast<uint8_t>(t.shape.size()));
    put<uint8_t>(out, static_cast<uint8_t>(t.store_as == DType::kI8 ? t.quant_axis : 0));
    put<uint8_t>(out, 0);
    for (const int64_t d : t.shape) put<int64_t>(out, d);
    put<uint64_t>(out, offset);
    put<uint64_t>(out, blobs[i].size());
    put<uint64_t>(out, checksum(blobs[i]));
    offsets.push_back(offset);
    offset = (offset + blobs[i].size() + kAlign - 1) / kAlign * kAlign;
  }
  put<uint64_t>(out, checksum(out));
  for (size_t i = 0; i < blobs.size(); ++i) {
    out.resize(offsets[i], '\0');
    out.append(blobs[i]);
  }
  return out;
}

Status write_weights_file(const std::string& path, std::string_view kind, std::span<const TensorToWrite> tensors) {
  auto bytes = encode_weights(kind, tensors);
  if (!bytes) return tl::unexpected(bytes.error());
  return write_file_atomic(path, *bytes);
}

Result<WeightsFile> parse_weights(std::string_view bytes, std::string_view what) {
  const std::string file(what);
  auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, file + ": " + why); };
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return corrupt("not a crema weights file (bad magic)");
  Cursor cur(bytes.substr(sizeof(kMagic)));
  WeightsFile wf;
  uint32_t count = 0, kind_len = 0;
  if (!cur.get(wf.version) || !cur.get(count) || !cur.get(kind_len)) return corrupt("truncated header");
  if (wf.version != kWeightsFormatVersion)
    return make_error(ErrorCode::kUnsupported, file + ": weights format version " + std::to_string(wf.version) +
                                                   " (this build reads " + std::to_string(kWeightsFormatVersion) + ")");
  if (count > kMaxTensors) return corrupt("tensor count " + std::to_string(count) + " is over the limit");
  if (kind_len > kMaxName || !cur.get_string(kind_len, wf.kind)) return corrupt("truncated header (kind)");
  struct Entry {
    DType dtype;
    int axis;
    std::vector<int64_t> shape;
    uint64_t offset, size, sum;
  };
  std::vector<Entry> entries;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len = 0;
    std::string name;
    if (!cur.get(name_len) || name_len > kMaxName || !cur.get_string(name_len, name))
      return corrupt("truncated header at tensor #" + std::to_string(i));
    const std::string where = "tensor '" + name + "': ";
    uint8_t dtype = 0, ndim = 0, axis = 0, pad = 0;
    if (!cur.get(dtype) || !cur.get(ndim) || !cur.get(axis) || !cur.get(pad)) return corrupt(where + "truncated header");
    if (dtype > static_cast<uint8_t>(DType::kI8)) return corrupt(where + "unknown dtype " + std::to_string(dtype));
    if (ndim > kMaxDims) return corrupt(where + std::to_string(ndim) + " dims (at most 8)");
    Entry e{static_cast<DType>(dtype), axis, {}, 0, 0, 0};
    e.shape.resize(ndim);
    for (auto& d : e.shape)
      if (!cur.get(d)) return corrupt(where + "truncated header");
    if (!cur.get(e.offset) || !cur.get(e.size) || !cur.get(e.sum)) return corrupt(where + "truncated header");
    const int64_t n = checked_numel(e.shape);
    if (n < 0) return corrupt(where + "shape has a negative dim or more than 2^31 elements");
    if (e.dtype == DType::kI8 && ndim > 0 && axis != 0 && axis != ndim - 1)
      return corrupt(where + "quant axis " + std::to_string(axis) + " out of range");
    uint64_t expect = 0;
    switch (e.dtype) {
      case DType::kF32: expect = static_cast<uint64_t>(n) * 4; break;
      case DType::kF16: expect = static_cast<uint64_t>(n) * 2; break;
      case DType::kI8: expect = static_cast<uint64_t>(n) + 4 * static_cast<uint64_t>(scale_count(e.shape, e.axis)); break;
    }
    if (e.size != expect)
      return corrupt(where + "data is " + std::to_string(e.size) + " bytes, its shape and dtype need " +
                     std::to_string(expect));
    if (e.offset > bytes.size() || e.size > bytes.size() - e.offset)
      return corrupt(where + "data [" + std::to_string(e.offset) + ", +" + std::to_string(e.size) +
                     ") lies outside the file (" + std::to_string(bytes.size()) + " bytes)");
    wf.names.push_back(std::move(name));
    entries.push_back(std::move(e));
  }
  const size_t header_end = sizeof(kMagic) + cur.pos();
  uint64_t header_sum = 0;
  if (!cur.get(header_sum)) return corrupt("truncated header (checksum)");
  if (header_sum != checksum(bytes.substr(0, header_end))) return corrupt("header checksum mismatch");
  wf.tensors.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const std::string_view blob = bytes.substr(e.offset, e.size);
    if (checksum(blob) != e.sum) return corrupt("tensor '" + wf.names[i] + "': data checksum mismatch");
    Tensor t;
    t.shape = e.shape;
    const size_t n = static_cast<size_t>(checked_numel(e.shape));
    t.data.resize(n);
    switch (e.dtype) {
      case DType::kF32: std::memcpy(t.data.data(), blob.data(), n * 4); break;
      case DType::kF16:
        for (size_t j = 0; j < n; ++j) {
          uint16_t h = 0;
          std::memcpy(&h, blob.data() + 2 * j, 2);
          t.data[j] = half_to_float(h);
        }
        break;
      case DType::kI8: {
        std::vector<float> scale(static_cast<size_t>(scale_count(e.shape, e.axis)));
        std::memcpy(scale.data(), blob.data() + n, scale.size() * 4);
        for (const float s : scale)
          if (!std::isfinite(s)) return corrupt("tensor '" + wf.names[i] + "': non-finite int8 scale");
        for_each_slice(e.shape, e.axis, [&](int64_t j, int64_t s) {
          t.data[static_cast<size_t>(j)] =
              static_cast<float>(static_cast<int8_t>(blob[static_cast<size_t>(j)])) * scale[static_cast<size_t>(s)];
        });
        break;
      }
    }
    wf.tensors.push_back(std::move(t));
  }
  return wf;
}

Result<WeightsFile> read_weights_file(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  return parse_weights(*bytes, path);
}

}  // namespace crema::nn
