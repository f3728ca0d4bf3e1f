// src/learn/safetensors_writer.h: writes float32 tensors as a .safetensors file (private).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "crema/common/result.h"

namespace crema::learn {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, size = product of shape
};

// Header: u64 length + JSON {name: {dtype F32, shape, data_offsets}, "__metadata__": metadata},
// padded with spaces to a multiple of 8; tensors in the given order. Written atomically.
Status write_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                         const std::map<std::string, std::string>& metadata = {});

}  // namespace crema::learn
