#include "crema/extract/eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <simdjson.h>

#include "crema/common/json_writer.h"
#include "lexicon.h"

namespace crema::extract {
namespace {

using detail::fold;

// a contains b on word boundaries (both folded).
bool contains_words(const std::string& a, const std::string& b) {
  if (b.empty()) return false;
  size_t pos = a.find(b);
  while (pos != std::string::npos) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80; };
    bool left = pos == 0 || !alnum(a[pos - 1]);
    bool right = pos + b.size() == a.size() || !alnum(a[pos + b.size()]);
    if (left && right) return true;
    pos = a.find(b, pos + 1);
  }
  return false;
}

std::string fold_span(std::string_view s) {
  std::string f = fold(s);
  size_t i = 0;
  while (i < f.size() && (f[i] == '@' || f[i] == '#')) ++i;
  f.erase(0, i);
  return f;
}

bool overlap_match(const std::string& p, const std::string& g) {
  const std::string fp = fold_span(p), fg = fold_span(g);
  return fp == fg || contains_words(fp, fg) || contains_words(fg, fp);
}

// Function words that alone make no overlap ("the", "de", "nan"): en es fr pt it ht id tl.
constexpr std::string_view kFunctionWords[] = {
    "the", "of", "and", "for", "to", "in", "on", "at", "from", "by", "with", "an", "de", "del", "la", "le", "les",
    "el", "los", "las", "du", "des", "da", "do", "das", "dos", "di", "della", "dei", "et", "en", "na",
    "no", "nan", "lan", "pou", "ak", "ng", "sa", "mga", "dan", "ke", "yang", "il", "lo", "gli", "un", "una"};

std::vector<std::string> content_words(const std::string& folded) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (cur.size() >= 2 && std::find(std::begin(kFunctionWords), std::end(kFunctionWords), cur) == std::end(kFunctionWords)) {
      out.push_back(cur);
    }
    cur.clear();
  };
  for (const char c : folded) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
    if (word) cur.push_back(c);
    else flush();
  }
  flush();
  return out;
}

bool token_overlap_match(const std::string& p, const std::string& g) {
  if (overlap_match(p, g)) return true;
  const auto wp = content_words(fold_span(p));
  const auto wg = content_words(fold_span(g));
  for (const auto& w : wp) {
    if (std::find(wg.begin(), wg.end(), w) != wg.end()) return true;
  }
  return false;
}

bool strict_match(const std::string& p, const std::string& g) { return fold_span(p) == fold_span(g); }

bool amount_range(const std::string& s, double& lo, double& hi) {
  std::string t;
  for (char c : s) if (c != '~') t += c;
  size_t dash = t.find('-', 1);
  char* end = nullptr;
  lo = std::strtod(t.c_str(), &end);
  if (end == t.c_str()) return false;
  hi = lo;
  if (dash != std::string::npos) hi = std::strtod(t.c_str() + dash + 1, nullptr);
  return true;
}

bool amount_match(const std::string& p, const std::string& g) {
  double pl, ph, gl, gh;
  if (!amount_range(p, pl, ph) || !amount_range(g, gl, gh)) return false;
  auto close = [](double a, double b) { return std::fabs(a - b) <= 0.005 * std::max(std::fabs(a), std::fabs(b)); };
  return close(pl, gl) && close(ph, gh);
}

std::string last_digits(const std::string& s, size_t n) {
  std::string d;
  for (char c : s) if (c >= '0' && c <= '9') d += c;
  return d.size() > n ? d.substr(d.size() - n) : d;
}

bool is_phone_like(const std::string& s) {
  size_t digits = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') return false;
  }
  return digits >= 7;
}

bool contact_match(const std::string& p, const std::string& g) {
  if (is_phone_like(p) && is_phone_like(g)) return last_digits(p, 8) == last_digits(g, 8);
  return fold(p) == fold(g);
}

template <typename Match>
void score(FieldScore& f, const std::vector<std::string>& pred, const std::vector<std::string>& gold, Match match) {
  std::vector<bool> used(gold.size(), false);
  for (const auto& p : pred) {
    bool hit = false;
    for (size_t g = 0; g < gold.size() && !hit; ++g) {
      if (!used[g] && match(p, gold[g])) {
        used[g] = true;
        hit = true;
      }
    }
    if (hit) ++f.tp; else ++f.fp;
  }
  for (bool u : used) if (!u) ++f.fn;
}

// Overlap scoring: pairs under the headline rule first, then the rest by shared words, so
// a loose pairing never takes a gold span that a contained one needed.
void score_overlap(FieldScore& f, const std::vector<std::string>& pred, const std::vector<std::string>& gold) {
  std::vector<bool> used(gold.size(), false), hit(pred.size(), false);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < pred.size(); ++i) {
      for (size_t g = 0; g < gold.size() && !hit[i]; ++g) {
        if (used[g]) continue;
        if (pass == 0 ? overlap_match(pred[i], gold[g]) : token_overlap_match(pred[i], gold[g])) {
          used[g] = true;
          hit[i] = true;
        }
      }
    }
  }
  for (bool h : hit) ++(h ? f.tp : f.fp);
  for (bool u : used) if (!u) ++f.fn;
}

double haversine_km(GeoPoint a, GeoPoint b) {
  constexpr double kR = 6371.0088;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  double dlat = (b.lat - a.lat) * kRad, dlon = (b.lon - a.lon) * kRad;
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(h)));
}

Result<std::vector<std::string>> string_array(simdjson::dom::element doc, const char* key) {
  std::vector<std::string> out;
  simdjson::dom::element v;
  if (doc[key].get(v) || v.is_null()) return out;
  simdjson::dom::array arr;
  if (v.get(arr)) return make_error(ErrorCode::kParseError, std::string("field '") + key + "' is not an array");
  for (auto item : arr) {
    std::string_view s;
    if (item.is_object()) {
      if (item["text"].get(s)) return make_error(ErrorCode::kParseError, std::string("field '") + key + "' item lacks text");
    } else if (item.get(s)) {
      return make_error(ErrorCode::kParseError, std::string("field '") + key + "' item is not a string");
    }
    out.emplace_back(s);
  }
  return out;
}

}  // namespace

bool span_match(std::string_view pred, std::string_view gold, SpanRule rule) {
  const std::string p(pred), g(gold);
  switch (rule) {
    case SpanRule::kStrict: return strict_match(p, g);
    case SpanRule::kContained: return overlap_match(p, g);
    case SpanRule::kOverlap: return token_overlap_match(p, g);
  }
  return false;
}

double FieldScore::precision() const { return tp + fp == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fp); }
double FieldScore::recall() const { return tp + fn == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fn); }
double FieldScore::f1() const {
  double p = precision(), r = recall();
  return p + r == 0.0 ? 0.0 : 2 * p * r / (p + r);
}

Result<std::vector<GoldPost>> read_gold(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open gold file " + path);
  std::vector<GoldPost> gold;
  simdjson::dom::parser parser;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto where = path + ":" + std::to_string(n) + ": ";
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) || !doc.is_object()) return make_error(ErrorCode::kParseError, where + "not a JSON object");
    GoldPost g;
    std::string_view s;
    if (doc["id"].get(s)) return make_error(ErrorCode::kParseError, where + "missing string 'id'");
    g.id = s;
    if (doc["text"].get(s)) return make_error(ErrorCode::kParseError, where + "missing string 'text'");
    g.text = s;
    if (!doc["split"].get(s)) g.split = s;
    if (!doc["lang"].get(s)) g.lang = s;
    if (!doc["country"].get(s)) g.country = s;
    simdjson::dom::array arr;
    if (!doc["resources"].get(arr)) {
      for (auto r : arr) {
        GoldPost::GoldResource gr;
        if (r["text"].get(s)) return make_error(ErrorCode::kParseError, where + "resource without 'text'");
        gr.text = s;
        if (!r["class"].get(s)) gr.cls = s;
        g.resources.push_back(std::move(gr));
      }
    }
    if (!doc["quantities"].get(arr)) {
      for (auto q : arr) {
        if (q["amount"].get(s)) return make_error(ErrorCode::kParseError, where + "quantity without 'amount'");
        g.quantities.emplace_back(s);
      }
    }
    for (auto [key, field] : {std::pair{"locations", &g.locations}, std::pair{"sources", &g.sources}, std::pair{"contacts", &g.contacts}}) {
      auto v = string_array(doc, key);
      if (!v) return make_error(ErrorCode::kParseError, where + v.error().message);
      *field = std::move(*v);
    }
    simdjson::dom::object point;
    if (!doc["point"].get(point)) {
      double lat = 0, lon = 0;
      if (point["lat"].get(lat) || point["lon"].get(lon) || std::fabs(lat) > 90 || std::fabs(lon) > 180)
        return make_error(ErrorCode::kParseError, where + "'point' needs lat in [-90,90] and lon in [-180,180]");
      g.point = GeoPoint{lat, lon};
    }
    gold.push_back(std::move(g));
  }
  return gold;
}

Result<ExtractionEval> evaluate(std::span<const GoldPost> gold, std::span<const Prediction> pred) {
  if (gold.size() != pred.size()) return make_error(ErrorCode::kInvalidArgument, "gold and predictions differ in size");
  ExtractionEval ev;
  for (size_t i = 0; i < gold.size(); ++i) {
    const GoldPost& g = gold[i];
    const Prediction& p = pred[i];
    ++ev.posts;
    std::vector<std::string> pr, gr, pc, gc, pq, pl, ps, pk, pk_no, gk_no;
    for (const auto& r : p.extraction.resources) {
      pr.push_back(r.text);
      std::string c(class_name(r.cls));
      if (r.cls != ResourceClass::kOther && std::find(pc.begin(), pc.end(), c) == pc.end()) pc.push_back(c);
    }
    for (const auto& r : g.resources) {
      gr.push_back(r.text);
      if (r.cls != "other" && std::find(gc.begin(), gc.end(), r.cls) == gc.end()) gc.push_back(r.cls);
    }
    score(ev.resources, pr, gr, overlap_match);
    score(ev.resources_spans.strict, pr, gr, strict_match);
    score_overlap(ev.resources_spans.overlap, pr, gr);
    score(ev.classes, pc, gc, [](const std::string& a, const std::string& b) { return a == b; });
    for (const auto& q : p.extraction.quantities) pq.push_back(q.amount);
    score(ev.quantities, pq, g.quantities, amount_match);
    score(ev.locations, p.locations, g.locations, overlap_match);
    score(ev.locations_spans.strict, p.locations, g.locations, strict_match);
    score_overlap(ev.locations_spans.overlap, p.locations, g.locations);
    for (const auto& s : p.extraction.sources) ps.push_back(s.text);
    score(ev.sources, ps, g.sources, overlap_match);
    score(ev.sources_spans.strict, ps, g.sources, strict_match);
    score_overlap(ev.sources_spans.overlap, ps, g.sources);
    for (const auto& c : p.extraction.contacts) {
      pk.push_back(c.value);
      if (c.kind != ContactKind::kUrl) pk_no.push_back(c.value);
    }
    score(ev.contacts, pk, g.contacts, contact_match);
    for (const auto& c : g.contacts) if (c.find("://") == std::string::npos && c.find("www.") == std::string::npos) gk_no.push_back(c);
    score(ev.contacts_no_url, pk_no, gk_no, contact_match);
    if (g.point) {
      ++ev.geo_gold;
      if (p.point) {
        double d = haversine_km(*g.point, *p.point);
        if (d <= 25.0) ++ev.within_25km;
        if (d <= 100.0) ++ev.within_100km;
      }
    }
    if (!g.country.empty()) {
      ++ev.country_gold;
      if (p.country == g.country) ++ev.country_right;
    }
  }
  return ev;
}

namespace {
struct Row {
  const char* name;
  const FieldScore* f;
  const SpanVariants* spans = nullptr;
};

void write_score(JsonWriter& w, const FieldScore& f) {
  w.key("precision").value(f.precision()).key("recall").value(f.recall()).key("f1").value(f.f1());
  w.key("tp").value(f.tp).key("fp").value(f.fp).key("fn").value(f.fn);
}
double share(uint64_t a, uint64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }
}  // namespace

std::string ExtractionEval::to_json() const {
  JsonWriter w;
  w.begin_object().key("posts").value(posts);
  const Row rows[] = {{"resources", &resources, &resources_spans}, {"classes", &classes}, {"quantities", &quantities},
                      {"locations", &locations, &locations_spans}, {"sources", &sources, &sources_spans},
                      {"contacts", &contacts}, {"contacts_phone_email", &contacts_no_url}};
  for (const auto& r : rows) {
    w.key(r.name).begin_object();
    write_score(w, *r.f);
    if (r.spans != nullptr) {
      w.key("strict").begin_object();
      write_score(w, r.spans->strict);
      w.end_object().key("overlap").begin_object();
      write_score(w, r.spans->overlap);
      w.end_object();
    }
    w.end_object();
  }
  w.key("geo").begin_object();
  w.key("posts_with_point").value(geo_gold).key("within_25km").value(share(within_25km, geo_gold));
  w.key("within_100km").value(share(within_100km, geo_gold));
  w.key("posts_with_country").value(country_gold).key("country_accuracy").value(share(country_right, country_gold));
  w.end_object().end_object();
  return w.take();
}

std::string ExtractionEval::to_text() const {
  std::string out;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-22s %9s %9s %9s %6s %6s %6s\n", "field", "precision", "recall", "F1", "tp", "fp", "fn");
  out += buf;
  const Row rows[] = {{"resources", &resources}, {"resource classes", &classes}, {"quantities", &quantities},
                      {"locations", &locations}, {"sources", &sources}, {"contacts", &contacts},
                      {"contacts (phone/email)", &contacts_no_url}};
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%-22s %9.3f %9.3f %9.3f %6llu %6llu %6llu\n", r.name, r.f->precision(), r.f->recall(),
                  r.f->f1(), static_cast<unsigned long long>(r.f->tp), static_cast<unsigned long long>(r.f->fp),
                  static_cast<unsigned long long>(r.f->fn));
    out += buf;
  }
  out += "span rules (F1; P/R):   strict (equal)         contained (above)      overlap (shared word)\n";
  const Row spans[] = {{"resources", &resources, &resources_spans}, {"locations", &locations, &locations_spans},
                       {"sources", &sources, &sources_spans}};
  for (const auto& r : spans) {
    auto cell = [](const FieldScore& f) {
      char c[40];
      std::snprintf(c, sizeof c, "%.3f (%.3f/%.3f)", f.f1(), f.precision(), f.recall());
      return std::string(c);
    };
    std::snprintf(buf, sizeof buf, "%-22s %-22s %-22s %s\n", r.name, cell(r.spans->strict).c_str(), cell(*r.f).c_str(),
                  cell(r.spans->overlap).c_str());
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "geocoding: %.3f within 25 km, %.3f within 100 km (%llu posts with a point); country %.3f (%llu posts)\n",
                share(within_25km, geo_gold), share(within_100km, geo_gold), static_cast<unsigned long long>(geo_gold),
                share(country_right, country_gold), static_cast<unsigned long long>(country_gold));
  out += buf;
  return out;
}

}  // namespace crema::extract
