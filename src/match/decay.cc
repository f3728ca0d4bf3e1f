// Decay shapes, per-resource decay profiles (a TSV table) and the disc distance.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "crema/common/file_io.h"
#include "crema/common/paths.h"
#include "crema/common/time.h"
#include "crema/match/matcher.h"
#include "scoring.h"

namespace crema::match {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Error line_error(std::string_view source, size_t line, const std::string& why) {
  return Error{ErrorCode::kParseError, std::string(source) + ":" + std::to_string(line) + ": " + why};
}

}  // namespace

Result<DecayShape> parse_decay_shape(std::string_view name) {
  const std::string l = lower(name);
  if (l == "linear") return DecayShape::kLinear;
  if (l == "fast") return DecayShape::kFast;
  if (l == "slow") return DecayShape::kSlow;
  if (l == "step") return DecayShape::kStep;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown decay shape '" + std::string(name) + "' (known: linear, fast, slow, step)");
}

std::string_view decay_shape_name(DecayShape shape) {
  switch (shape) {
    case DecayShape::kLinear: return "linear";
    case DecayShape::kFast: return "fast";
    case DecayShape::kSlow: return "slow";
    case DecayShape::kStep: return "step";
  }
  return "linear";
}

double decay_weight(DecayShape shape, double value, double delta) { return detail::decay(shape, value, delta); }

const DecayProfile* DecayProfiles::find(std::string_view resource) const {
  const std::string key = lower(resource);
  const DecayProfile* fallback = nullptr;
  for (const auto& p : profiles) {
    if (p.resource == key) return &p;
    if (p.resource == "*") fallback = &p;
  }
  return fallback;
}

Result<DecayProfiles> parse_decay_profiles(std::string_view text, std::string_view source) {
  DecayProfiles out;
  size_t line_no = 0;
  for (size_t at = 0; at <= text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view raw = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> cols;
    for (size_t b = 0;;) {
      const size_t tab = raw.find('\t', b);
      cols.push_back(trim(raw.substr(b, tab == std::string_view::npos ? std::string_view::npos : tab - b)));
      if (tab == std::string_view::npos) break;
      b = tab + 1;
    }
    if (cols.size() < 3 || cols.size() > 5) {
      return tl::unexpected(line_error(source, line_no,
                                       std::to_string(cols.size()) +
                                           " tab-separated columns, expected resource, delta_time, delta_km "
                                           "[, time_shape [, distance_shape]]"));
    }
    DecayProfile p;
    p.resource = lower(cols[0]);
    if (p.resource.empty()) return tl::unexpected(line_error(source, line_no, "empty resource"));
    for (const auto& q : out.profiles) {
      if (q.resource == p.resource) {
        return tl::unexpected(line_error(source, line_no, "duplicate resource '" + p.resource + "'"));
      }
    }
    auto dt = parse_duration(cols[1]);
    if (!dt) return tl::unexpected(line_error(source, line_no, "delta_time: " + dt.error().message));
    if (*dt <= 0) return tl::unexpected(line_error(source, line_no, "delta_time must be positive"));
    p.delta_time_ms = *dt;
    const std::string km_text(cols[2]);
    double km = 0;
    const auto [end, ec] = std::from_chars(km_text.data(), km_text.data() + km_text.size(), km);
    if (ec != std::errc() || end != km_text.data() + km_text.size() || !std::isfinite(km) || !(km > 0)) {
      return tl::unexpected(line_error(source, line_no, "delta_km '" + km_text + "' is not a positive number"));
    }
    p.delta_km = km;
    for (size_t c = 3; c < cols.size(); ++c) {
      auto shape = parse_decay_shape(cols[c]);
      if (!shape) return tl::unexpected(line_error(source, line_no, shape.error().message));
      (c == 3 ? p.time_shape : p.distance_shape) = *shape;
    }
    out.profiles.push_back(std::move(p));
  }
  if (out.profiles.empty()) return make_error(ErrorCode::kParseError, std::string(source) + ": no profiles");
  return out;
}

Result<DecayProfiles> load_decay_profiles(const std::string& path) {
  auto content = read_file(path);
  if (!content) return tl::unexpected(content.error());
  return parse_decay_profiles(*content, path);
}

std::string default_decay_profiles_path() { return resource_path("data/match/decay_profiles.tsv"); }

const DecayProfile* select_profile(const DecayProfiles& profiles, std::span<const std::string> resources) {
  const DecayProfile* best = nullptr;
  for (const auto& r : resources) {
    const DecayProfile* p = profiles.find(r);
    if (p == nullptr || p->resource == "*") continue;
    if (best == nullptr || p->delta_time_ms > best->delta_time_ms ||
        (p->delta_time_ms == best->delta_time_ms && p->delta_km > best->delta_km)) {
      best = p;
    }
  }
  return best != nullptr ? best : profiles.find("*");
}

double disc_distance_km(GeoPoint a, double ra_km, GeoPoint b, double rb_km) {
  return std::max(0.0, haversine_km(a, b) - ra_km - rb_km);
}

}  // namespace crema::match
