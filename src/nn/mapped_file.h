// Shared pieces of the model weight readers (safetensors.cc, torch_bin.cc): a read-only file
// mapping and the fp32 view of one validated tensor entry.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "crema/common/result.h"
#include "crema/nn/weights_file.h"

namespace crema::nn::detail {

struct MappedFile {
  const char* data = nullptr;
  size_t size = 0;

  // mmap(path) read-only: kNotFound / kIoError naming path.
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
  // An owned copy of bytes.
  static std::shared_ptr<const MappedFile> copy(std::string_view bytes);

  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

 private:
  void* mapped_ = nullptr;  // munmap on destruction when set
  std::string copy_;
};

// The fp32 values of t (already checked to lie inside file): a zero-copy view for
// little-endian F32 at a 4-byte-aligned address, converted otherwise; kUnsupported for
// integer dtypes. `path` names the file in errors.
Result<FloatTensor> float_tensor(const MappedFile& file, const StTensorInfo& t, const std::string& path);

}  // namespace crema::nn::detail
