#include "spm_proto.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace crema::learn {
namespace {

// Protobuf wire-format cursor over one message.
struct Wire {
  std::string_view b;
  size_t i = 0;
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= b.size()) return false;
      const auto x = static_cast<unsigned char>(b[i++]);
      v |= static_cast<uint64_t>(x & 0x7f) << shift;
      if (x < 0x80) return true;
    }
    return false;
  }
  // Next field: number, wire type, and for wire types 2 and 5 the payload.
  bool next(uint32_t& field, uint32_t& type, std::string_view& payload, uint64_t& value) {
    uint64_t key;
    if (!varint(key)) return false;
    field = static_cast<uint32_t>(key >> 3);
    type = static_cast<uint32_t>(key & 7);
    switch (type) {
      case 0: return varint(value);
      case 1: if (b.size() - i < 8) return false; payload = b.substr(i, 8); i += 8; return true;
      case 5: if (b.size() - i < 4) return false; payload = b.substr(i, 4); i += 4; return true;
      case 2: {
        uint64_t n;
        if (!varint(n) || n > b.size() - i) return false;
        payload = b.substr(i, static_cast<size_t>(n));
        i += static_cast<size_t>(n);
        return true;
      }
      default: return false;
    }
  }
};

}  // namespace

Result<SpmModelInfo> read_spm_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, path.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  auto corrupt = [&](const std::string& what) {
    return make_error(ErrorCode::kCorrupt, path.string() + ": " + what);
  };
  SpmModelInfo info;
  Wire top{bytes};
  while (top.i < bytes.size()) {
    uint32_t field, type;
    std::string_view payload;
    uint64_t value = 0;
    if (!top.next(field, type, payload, value)) return corrupt("ModelProto field truncated");
    if (field == 1 && type == 2) {
      SpmPiece p;
      Wire w{payload};
      while (w.i < payload.size()) {
        uint32_t f, t;
        std::string_view pl;
        uint64_t v = 0;
        if (!w.next(f, t, pl, v)) {
          return corrupt("ModelProto.pieces[" + std::to_string(info.pieces.size()) + "] truncated");
        }
        if (f == 1 && t == 2) p.piece = std::string(pl);
        if (f == 2 && t == 5) std::memcpy(&p.score, pl.data(), 4);
        if (f == 3 && t == 0) p.type = static_cast<int>(v);
      }
      info.pieces.push_back(std::move(p));
    } else if (field == 3 && type == 2) {
      Wire w{payload};
      while (w.i < payload.size()) {
        uint32_t f, t;
        std::string_view pl;
        uint64_t v = 0;
        if (!w.next(f, t, pl, v)) return corrupt("ModelProto.normalizer_spec truncated");
        if (f == 2 && t == 2) info.precompiled_charsmap = std::string(pl);
      }
    }
  }
  if (info.pieces.size() < 4) return corrupt("fewer than 4 pieces");
  return info;
}

}  // namespace crema::learn
