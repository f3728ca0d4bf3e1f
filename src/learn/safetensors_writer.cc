#include "safetensors_writer.h"

#include <cstring>

#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"

namespace crema::learn {

Status write_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  JsonWriter w;
  w.begin_object();
  if (!metadata.empty()) {
    w.key("__metadata__").begin_object();
    for (const auto& [k, v] : metadata) w.key(k).value(v);
    w.end_object();
  }
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
    if (count != t.data.size()) {
      return make_error(ErrorCode::kInternal, "tensor " + t.name + ": shape does not match its data");
    }
    w.key(t.name).begin_object().key("dtype").value("F32").key("shape").begin_array();
    for (int64_t d : t.shape) w.value(d);
    w.end_array().key("data_offsets").begin_array().value(offset).value(offset + 4 * count).end_array().end_object();
    offset += 4 * count;
  }
  w.end_object();
  std::string header = w.take();
  while (header.size() % 8 != 0) header.push_back(' ');
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);  // little-endian hosts only, as the reader
  bytes += header;
  bytes.reserve(bytes.size() + offset);
  for (const auto& t : tensors) {
    bytes.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  return write_file_atomic(path.string(), bytes);
}

}  // namespace crema::learn
