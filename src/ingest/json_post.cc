#include "json_post.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>

#include "crema/common/time.h"
#include "crema/ingest/reader.h"
#include "fields.h"
#include "json_syntax.h"
#include "utf8_util.h"

namespace crema::ingest::detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using OptElement = std::optional<element>;

const char* type_name(const element& e) {
  switch (e.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

bool present(const OptElement& e) { return e.has_value() && !e->is_null(); }

OptElement member(const element& e, std::string_view key) {
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

// The keys of one tweet-like object that any shape reads. The first occurrence of a
// duplicated key wins.
struct Fields {
  OptElement id, id_str, text, full_text, extended_tweet, retweeted_status, note_tweet, truncated;
  OptElement created_at, lang, lat, lon, coordinates, geo, place, user, author_id, kind, user_location;
  OptElement data, includes, edit_history_tweet_ids;
};

void collect(const object& obj, Fields& f) {
  for (const auto field : obj) {
    const std::string_view k = field.key;
    OptElement* slot = nullptr;
    switch (k.size()) {
      case 2: slot = k == "id" ? &f.id : nullptr; break;
      case 3:
        slot = k == "lat" ? &f.lat : k == "lon" ? &f.lon : k == "geo" ? &f.geo : nullptr;
        break;
      case 4:
        slot = k == "text" ? &f.text : k == "lang" ? &f.lang : k == "user" ? &f.user
             : k == "kind" ? &f.kind : k == "data" ? &f.data : nullptr;
        break;
      case 5: slot = k == "place" ? &f.place : nullptr; break;
      case 6: slot = k == "id_str" ? &f.id_str : nullptr; break;
      case 8: slot = k == "includes" ? &f.includes : nullptr; break;
      case 9: slot = k == "full_text" ? &f.full_text : k == "author_id" ? &f.author_id
                   : k == "truncated" ? &f.truncated : nullptr;
        break;
      case 10:
        slot = k == "created_at" ? &f.created_at : k == "note_tweet" ? &f.note_tweet : nullptr;
        break;
      case 11: slot = k == "coordinates" ? &f.coordinates : nullptr; break;
      case 13: slot = k == "user_location" ? &f.user_location : nullptr; break;
      case 14: slot = k == "extended_tweet" ? &f.extended_tweet : nullptr; break;
      case 16: slot = k == "retweeted_status" ? &f.retweeted_status : nullptr; break;
      case 22: slot = k == "edit_history_tweet_ids" ? &f.edit_history_tweet_ids : nullptr; break;
      default: break;
    }
    if (slot != nullptr && !slot->has_value()) *slot = field.value;
  }
}

enum class Shape { kGeneric, kTwitterV1, kTwitterV2 };

class Extractor {
 public:
  Extractor(bool require_time, Post& post, std::string& reason)
      : require_time_(require_time), post_(post), reason_(reason) {}

  bool run(const object& root) {
    Fields top;
    collect(root, top);
    Fields wrapped;
    const Fields* f = &top;
    Shape shape = Shape::kGeneric;
    OptElement includes;
    if (top.data.has_value()) {
      object data;
      if (top.data->get_object().get(data) != simdjson::SUCCESS) {
        return fail(std::string("Twitter v2 'data' must be one tweet object, got ") + type_name(*top.data));
      }
      collect(data, wrapped);
      f = &wrapped;
      shape = Shape::kTwitterV2;
      includes = top.includes;
    } else if (top.id_str || top.extended_tweet || top.retweeted_status || top.full_text ||
               (top.user && top.user->is_object())) {
      shape = Shape::kTwitterV1;
    } else if (top.author_id || top.note_tweet || top.edit_history_tweet_ids ||
               (top.geo && top.geo->is_object())) {
      shape = Shape::kTwitterV2;
    }
    return read_id(*f, shape) && read_text(*f, shape) && read_time(f->created_at) &&
           read_lang(f->lang) && read_geo(*f, shape, includes) && read_place(f->place) &&
           read_user(shape == Shape::kTwitterV2 ? f->author_id : f->user, shape) &&
           read_user_location(f->user_location) && read_kind(f->kind);
  }

 private:
  bool fail(std::string reason) {
    reason_ = std::move(reason);
    return false;
  }

  // Reads a string that may be absent or null (-> empty). Other types are a reject.
  bool optional_string(const OptElement& e, std::string_view name, std::string_view& out) {
    out = {};
    if (!present(e)) return true;
    if (e->get_string().get(out) != simdjson::SUCCESS) {
      return fail(std::string(name) + " must be a string, got " + type_name(*e));
    }
    return true;
  }

  bool read_id(const Fields& f, Shape shape) {
    const bool use_id_str = shape == Shape::kTwitterV1 && present(f.id_str);
    const OptElement& e = use_id_str ? f.id_str : f.id;
    const char* name = use_id_str ? "id_str" : "id";
    if (!present(e)) return fail("missing id");
    switch (e->type()) {
      case element_type::STRING: post_.id = std::string(e->get_string().value_unsafe()); return true;
      case element_type::INT64: post_.id = std::to_string(e->get_int64().value_unsafe()); return true;
      case element_type::UINT64: post_.id = std::to_string(e->get_uint64().value_unsafe()); return true;
      case element_type::DOUBLE:
        return fail(std::string(name) + " must be a string or an integer, got a non-integer number");
      default: return fail(std::string(name) + " must be a string or an integer, got " + type_name(*e));
    }
  }

  // Twitter v1.1 text: extended_tweet.full_text > full_text > text. nullopt text = absent.
  bool v1_text(const Fields& f, std::optional<std::string_view>& out) {
    out.reset();
    if (present(f.extended_tweet)) {
      std::string_view full;
      const OptElement e = member(*f.extended_tweet, "full_text");
      if (!optional_string(e, "extended_tweet.full_text", full)) return false;
      if (present(e)) {
        out = full;
        return true;
      }
    }
    const bool use_full = present(f.full_text);
    std::string_view s;
    if (!optional_string(use_full ? f.full_text : f.text, use_full ? "full_text" : "text", s)) return false;
    if (present(use_full ? f.full_text : f.text)) out = s;
    return true;
  }

  bool read_text(const Fields& f, Shape shape) {
    std::optional<std::string_view> text;
    if (shape == Shape::kTwitterV1) {
      if (!v1_text(f, text)) return false;
      if (present(f.retweeted_status) && f.retweeted_status->is_object() && retweet_truncated(f, text)) {
        object rt_obj = f.retweeted_status->get_object().value_unsafe();
        Fields rt;
        collect(rt_obj, rt);
        std::optional<std::string_view> rt_text;
        std::string_view screen_name;
        const OptElement rt_user = rt.user ? member(*rt.user, "screen_name") : std::nullopt;
        if (!v1_text(rt, rt_text) || !optional_string(rt_user, "retweeted_status.user.screen_name", screen_name)) {
          return false;
        }
        if (rt_text && !rt_text->empty() && !screen_name.empty()) {
          post_.text.reserve(rt_text->size() + screen_name.size() + 6);
          post_.text = "RT @";
          post_.text += screen_name;
          post_.text += ": ";
          post_.text += *rt_text;
          return true;
        }
      }
    } else {
      if (shape == Shape::kTwitterV2 && present(f.note_tweet)) {
        const OptElement e = member(*f.note_tweet, "text");
        std::string_view s;
        if (!optional_string(e, "note_tweet.text", s)) return false;
        if (present(e)) text = s;
      }
      if (!text) {
        std::string_view s;
        if (!optional_string(f.text, "text", s)) return false;
        if (present(f.text)) text = s;
      }
    }
    if (!text) return fail("missing text");
    post_.text = std::string(*text);
    return true;
  }

  // A retweet's own text is cut at 140 characters and ends with an ellipsis.
  static bool retweet_truncated(const Fields& f, const std::optional<std::string_view>& text) {
    if (!text) return true;
    bool flag = false;
    if (f.truncated && f.truncated->get_bool().get(flag) == simdjson::SUCCESS && flag) return true;
    return text->ends_with("\xE2\x80\xA6") || text->ends_with("...");
  }

  bool read_time(const OptElement& e) {
    auto missing = [&] {
      if (require_time_) return fail("missing created_at");
      post_.created_at_ms = 0;
      return true;
    };
    if (!present(e)) return missing();
    Result<int64_t> ms = 0;
    switch (e->type()) {
      case element_type::STRING: {
        const std::string_view s = trim(e->get_string().value_unsafe());
        if (s.empty()) return missing();
        ms = parse_timestamp(s);
        break;
      }
      case element_type::INT64: {
        const int64_t v = e->get_int64().value_unsafe();
        if (v < 0) return fail("unparseable time: created_at " + std::to_string(v) + " is negative");
        ms = parse_timestamp(std::to_string(v));
        break;
      }
      case element_type::UINT64: ms = parse_timestamp(std::to_string(e->get_uint64().value_unsafe())); break;
      case element_type::DOUBLE: {
        const double v = e->get_double().value_unsafe();
        if (!std::isfinite(v) || v < 0 || v >= 1e15) {
          return fail("unparseable time: created_at number out of range");
        }
        ms = static_cast<int64_t>(std::llround(v > 1e11 ? v : v * 1000.0));
        break;
      }
      default: return fail(std::string("created_at must be a string or a number, got ") + type_name(*e));
    }
    if (!ms) return fail(ms.error().message);
    post_.created_at_ms = *ms;
    return true;
  }

  bool read_lang(const OptElement& e) {
    std::string_view s;
    if (!optional_string(e, "lang", s)) return false;
    post_.lang = s == "und" ? std::string() : std::string(s);
    return true;
  }

  // A coordinate given as a number or a numeric string; absent/null/"" -> nullopt.
  bool coordinate(const OptElement& e, std::string_view name, std::optional<double>& out) {
    out.reset();
    if (!present(e)) return true;
    double v = 0;
    if (e->get_double().get(v) == simdjson::SUCCESS) {
      out = v;
      return true;
    }
    std::string_view s;
    if (e->get_string().get(s) != simdjson::SUCCESS) {
      return fail(std::string(name) + " must be a number, got " + type_name(*e));
    }
    auto parsed = parse_coordinate(s, name);
    if (!parsed) return fail(parsed.error().message);
    out = *parsed;
    return true;
  }

  // GeoJSON point [lon, lat] at e (the "coordinates" array).
  bool geojson_point(const OptElement& e, std::string_view name) {
    simdjson::dom::array arr;
    double lon = 0;
    double lat = 0;
    if (!e || e->get_array().get(arr) != simdjson::SUCCESS || arr.size() != 2 ||
        arr.at(0).get_double().get(lon) != simdjson::SUCCESS ||
        arr.at(1).get_double().get(lat) != simdjson::SUCCESS) {
      return fail(std::string(name) + " must be [lon, lat] numbers");
    }
    post_.geo = GeoPoint{lat, lon};
    return true;
  }

  bool read_geo(const Fields& f, Shape shape, const OptElement& includes) {
    post_.geo.reset();
    if (shape == Shape::kTwitterV1) {
      if (!present(f.coordinates)) return true;
      if (!f.coordinates->is_object()) {
        return fail(std::string("coordinates must be an object, got ") + type_name(*f.coordinates));
      }
      return geojson_point(member(*f.coordinates, "coordinates"), "coordinates.coordinates");
    }
    if (shape == Shape::kTwitterV2) {
      if (!present(f.geo)) return true;
      if (!f.geo->is_object()) return fail(std::string("geo must be an object, got ") + type_name(*f.geo));
      const OptElement point = member(*f.geo, "coordinates");
      if (present(point)) {
        if (!geojson_point(member(*point, "coordinates"), "geo.coordinates.coordinates")) return false;
      }
      std::string_view place_id;
      if (!optional_string(member(*f.geo, "place_id"), "geo.place_id", place_id)) return false;
      if (!place_id.empty() && includes) place_from_includes(*includes, place_id);
      return true;
    }
    std::optional<double> lat;
    std::optional<double> lon;
    if (!coordinate(f.lat, "lat", lat) || !coordinate(f.lon, "lon", lon)) return false;
    if (lat.has_value() != lon.has_value()) return fail("only one of lat/lon given");
    if (lat) post_.geo = GeoPoint{*lat, *lon};
    return true;
  }

  void place_from_includes(const element& includes, std::string_view place_id) {
    const OptElement places = member(includes, "places");
    simdjson::dom::array arr;
    if (!places || places->get_array().get(arr) != simdjson::SUCCESS) return;
    for (const element p : arr) {
      std::string_view id;
      std::string_view name;
      const OptElement id_e = member(p, "id");
      const OptElement name_e = member(p, "full_name");
      if (id_e && id_e->get_string().get(id) == simdjson::SUCCESS && id == place_id && name_e &&
          name_e->get_string().get(name) == simdjson::SUCCESS) {
        post_.place = std::string(name);
        return;
      }
    }
  }

  bool read_place(const OptElement& e) {
    if (!present(e)) return true;
    if (e->is_object()) {
      std::string_view name;
      if (!optional_string(member(*e, "full_name"), "place.full_name", name)) return false;
      post_.place = std::string(name);
      return true;
    }
    std::string_view s;
    if (e->get_string().get(s) != simdjson::SUCCESS) {
      return fail(std::string("place must be a string or an object, got ") + type_name(*e));
    }
    post_.place = std::string(s);
    return true;
  }

  bool read_user(const OptElement& e, Shape shape) {
    const char* name = shape == Shape::kTwitterV2 ? "author_id" : "user";
    if (!present(e)) return true;
    switch (e->type()) {
      case element_type::STRING: post_.user = std::string(e->get_string().value_unsafe()); return true;
      case element_type::INT64: post_.user = std::to_string(e->get_int64().value_unsafe()); return true;
      case element_type::UINT64: post_.user = std::to_string(e->get_uint64().value_unsafe()); return true;
      case element_type::OBJECT: {
        std::string_view s, location;
        if (!optional_string(member(*e, "screen_name"), "user.screen_name", s) ||
            !optional_string(member(*e, "location"), "user.location", location)) {
          return false;
        }
        post_.user = std::string(s);
        post_.user_location = std::string(location);
        return true;
      }
      default: return fail(std::string(name) + " must be a string, got " + type_name(*e));
    }
  }

  // A flat "user_location" wins over the v1 user.location read by read_user().
  bool read_user_location(const OptElement& e) {
    std::string_view s;
    if (!optional_string(e, "user_location", s)) return false;
    if (!s.empty()) post_.user_location = std::string(s);
    return true;
  }

  bool read_kind(const OptElement& e) {
    std::string_view s;
    if (!optional_string(e, "kind", s)) return false;
    auto label = parse_kind(s);
    if (!label) return fail(label.error().message);
    post_.kind = *label;
    return true;
  }

  bool require_time_;
  Post& post_;
  std::string& reason_;
};

}  // namespace

bool JsonPostParser::parse(const char* data, size_t size, bool require_time, Post& post, std::string& reason) {
  const std::string_view text(data, size);
  if (const void* nul = std::memchr(data, 0, size)) {
    reason = "NUL byte at byte " + std::to_string(static_cast<const char*>(nul) - data);
    return false;
  }
  element doc;
  const auto err = parser_.parse(data, size, false).get(doc);
  if (err != simdjson::SUCCESS) {
    if (err == simdjson::UTF8_ERROR) {
      const size_t at = find_invalid_utf8(text);
      if (at != kNoError) {
        reason = "invalid UTF-8 at byte " + std::to_string(at);
        return false;
      }
    }
    if (auto where = find_json_syntax_error(text)) {
      reason = "invalid JSON at byte " + std::to_string(where->offset) + ": " + where->what;
    } else {
      reason = std::string("invalid JSON: ") + simdjson::error_message(err);
    }
    return false;
  }
  object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    reason = std::string("not a JSON object (got ") + type_name(doc) + ")";
    return false;
  }
  Extractor extractor(require_time, post, reason);
  if (!extractor.run(root)) return false;
  if (auto ok = validate_post(post); !ok) {
    reason = ok.error().message;
    return false;
  }
  return true;
}

}  // namespace crema::ingest::detail
