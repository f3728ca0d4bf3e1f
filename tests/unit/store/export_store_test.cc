// export_store(): kinds, formats, masking, filters, errors, and a golden tiny store.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crema/store/export.h"
#include "crema/store/store.h"
#include "golden.h"
#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::open_or_die;
using testing::ScratchDir;

const std::string kDots = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // "•••"
constexpr int64_t kT0 = 1539202764000;                             // 2018-10-10T20:19:24Z
constexpr int64_t kHour = 3600 * 1000;

// The personal data of the store below, as written in the texts and extraction records.
const std::vector<std::string> kRawPii = {"9841567230", "+9779841567230", "ram@example.org", "info@relief.example.org",
                                          "ram_b", "9841000111", "someone_else", "karma.sherpa"};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// RFC 4180 records (CRLF line ends, quoted fields may hold commas, quotes and newlines).
// Sets *ok to false on a malformed file.
std::vector<std::vector<std::string>> parse_csv(const std::string& s, bool* ok) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  *ok = true;
  size_t i = 0;
  bool at_field_start = true;
  while (i < s.size()) {
    const char c = s[i];
    if (at_field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= s.size()) {
          *ok = false;
          return rows;
        }
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(s[i++]);
      }
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      at_field_start = true;
      ++i;
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      at_field_start = true;
      i += 2;
    } else if (c == '"' || c == '\n' || c == '\r') {
      *ok = false;  // a quote inside an unquoted field, or a bare line end
      return rows;
    } else {
      field.push_back(c);
      at_field_start = false;
      ++i;
    }
  }
  if (!row.empty() || !field.empty()) *ok = false;  // the last record lacks its CRLF
  return rows;
}

ResolvedLocation location(GeoSource source, double lat, double lon, double confidence, double radius_km,
                          const std::string& country, const std::string& admin1, const std::string& city,
                          int64_t geonameid) {
  ResolvedLocation l;
  l.source = source;
  l.point = GeoPoint{lat, lon};
  l.confidence = confidence;
  l.radius_km = radius_km;
  l.country = country;
  l.admin1 = admin1;
  l.city = city;
  l.geonameid = geonameid;
  return l;
}

// Five posts: a request with a phone, an e-mail, a mention and an extraction; an offer with
// an e-mail; a near-duplicate of the offer; an irrelevant post with a bare national number;
// a request_and_offer placed by its author's profile location.
std::vector<ProcessedPost> tiny_posts() {
  ProcessedPost r1 = make_post("r1", Label::kRequest, kT0);
  r1.post.text = "Need 500 tents at Chautara, call +977-9841567230 or ram@example.org @ram_b";
  r1.normalized = "Need 500 tents at Chautara, call +977-9841567230 or ram@example.org @USER";
  r1.post.user = "ram_b";
  r1.probs = {0.8f, 0.1f, 0.05f, 0.05f};
  r1.resources = {"shelter"};
  r1.location = location(GeoSource::kToponym, 27.7779, 85.7133, 0.8, 5, "NP", "Bagmati", "Chautara", 1283581);
  r1.extraction_json =
      R"({"id":"r1","resources":[{"text":"tents","class":"shelter","crema_resource":"shelter","start":9,"end":14,"quantity":"500"}],)"
      R"("quantities":[{"resource":"tents","amount":"500","text":"500","start":5,"end":8}],)"
      R"("locations":[{"text":"Chautara","start":18,"end":26,"name":"Chautara","geonameid":1283581,"lat":27.7779,"lon":85.7133,"country":"NP","admin1":"Bagmati"}],)"
      R"("sources":["@ram_b"],"contacts":["+9779841567230","ram@example.org"],)"
      R"("geo":{"lat":27.7779,"lon":85.7133,"source":"toponym","confidence":0.8,"radius_km":5,"country":"NP","admin1":"Bagmati","city":"Chautara","geonameid":1283581}})";

  ProcessedPost o1 = make_post("o1", Label::kOffer, kT0 + kHour);
  o1.post.text = "We can give 200 blankets in Kathmandu, mail info@relief.example.org";
  o1.normalized = o1.post.text;
  o1.post.geo = GeoPoint{27.7, 85.3};
  o1.post.user = "relief_team";
  o1.resources = {"clothing", "shelter"};
  o1.location = location(GeoSource::kGeotag, 27.7, 85.3, 1, 0, "NP", "Bagmati", "Kathmandu", 1283240);
  o1.extraction_json =
      R"({"id":"o1","resources":[{"text":"blankets","class":"clothing","crema_resource":"clothing","start":16,"end":24,"quantity":"200"}],)"
      R"("quantities":[{"resource":"blankets","amount":"200","text":"200","start":12,"end":15}],"locations":[],"sources":[],)"
      R"("contacts":["info@relief.example.org"],"geo":null})";

  ProcessedPost o2 = make_post("o2", Label::kOffer, kT0 + 2 * kHour);
  o2.post.text = "RT We can give 200 blankets in Kathmandu, mail info@relief.example.org";
  o2.normalized = o2.post.text;
  o2.duplicate_of = "o1";
  o2.resources = {"clothing", "shelter"};

  ProcessedPost i1 = make_post("i1", Label::kIrrelevant, kT0 + 48 * kHour);
  i1.post.text = "thoughts with Nepal, text me on 9841000111 @someone_else";
  i1.normalized = "thoughts with Nepal, text me on 9841000111 @USER";
  i1.post.user = "someone_else";

  ProcessedPost b1 = make_post("b1", Label::kRequestAndOffer, kT0 + 72 * kHour);
  b1.post.text = "we have a truck, need fuel; karma.sherpa@example.org";
  b1.normalized = b1.post.text;
  b1.post.user = "karma.sherpa";
  b1.location = location(GeoSource::kUser, 27.6, 85.4, 0.4, 20, "NP", "", "", 0);
  return {r1, o1, o2, i1, b1};
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_or_die(db_);
    ASSERT_NE(store, nullptr);
    auto run = store->begin_run({"crema run in.jsonl", {"in.jsonl"}, "{}"});
    ASSERT_TRUE(run) << run.error().message;
    auto written = store->write_batch(*run, tiny_posts(), {}, {"in.jsonl", 100, 5});
    ASSERT_TRUE(written) << written.error().message;
    StoredMatch m;
    m.request_id = "r1";
    m.offer_id = "o1";
    m.rank = 1;
    m.score = 0.75f;
    m.s_text = 0.8f;
    m.w_time = 0.9f;
    m.w_loc = 1.0f;
    m.km = 40.5;
    ASSERT_TRUE(store->replace_matches(*run, std::vector<StoredMatch>{m}));
    ASSERT_TRUE(store->finish_run(*run, "{}"));
  }

  ExportOptions everything(bool unmask) const {
    ExportOptions o;
    o.db_path = db_;
    o.out_dir = out_;
    o.kinds = {ExportKind::kPosts, ExportKind::kRequests, ExportKind::kOffers, ExportKind::kMatches,
               ExportKind::kExtractions};
    o.formats = {ExportFormat::kJsonl, ExportFormat::kCsv, ExportFormat::kGeoJson, ExportFormat::kHxl};
    o.unmask_pii = unmask;
    o.threads = 2;
    return o;
  }

  std::string file(const std::string& name) const { return out_ + "/" + name; }

  std::vector<std::string> ids_in_jsonl(const std::string& name, const char* key = "id") const {
    std::vector<std::string> ids;
    simdjson::dom::parser parser;
    for (const auto& line : lines_of(slurp(file(name)))) {
      simdjson::dom::element e;
      EXPECT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
      std::string_view id;
      EXPECT_EQ(e[key].get(id), simdjson::SUCCESS) << line;
      ids.emplace_back(id);
    }
    return ids;
  }

  ScratchDir dir_;
  std::string db_ = dir_.file("crema.sqlite");
  std::string out_ = dir_.file("export");
};

TEST_F(ExportTest, WritesEverySupportedPairAndSkipsTheRest) {
  auto summary = export_store(everything(false));
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->files.size(), 16u);  // posts, requests, offers ×4 + matches, extractions ×2
  EXPECT_EQ(summary->skipped, (std::vector<std::string>{"matches.geojson", "matches.hxl.csv", "extractions.geojson",
                                                         "extractions.hxl.csv"}));
  for (const auto& f : summary->files) {
    EXPECT_TRUE(std::filesystem::exists(f.path)) << f.path;
    EXPECT_FALSE(std::filesystem::exists(f.path + ".tmp")) << f.path;
  }
  EXPECT_TRUE(summary->masked);
  EXPECT_GT(summary->masked_spans, 0u);
  simdjson::dom::parser parser;
  simdjson::dom::element json;
  ASSERT_EQ(parser.parse(summary->to_json()).get(json), simdjson::SUCCESS);
  EXPECT_NE(summary->to_table().find("posts.hxl.csv"), std::string::npos);
}

TEST_F(ExportTest, DefaultExportMasksEveryContactHandleAndMention) {
  ASSERT_TRUE(export_store(everything(false)));
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out_)) {
    const std::string text = slurp(entry.path().string());
    ++files;
    for (const auto& pii : kRawPii) EXPECT_EQ(text.find(pii), std::string::npos) << pii << " in " << entry.path();
  }
  EXPECT_EQ(files, 16u);
  const std::string posts = slurp(file("posts.jsonl"));
  EXPECT_NE(posts.find("\"user\":\"" + kDots + "\""), std::string::npos);
  EXPECT_NE(posts.find("r" + kDots + "@example.org"), std::string::npos);
  EXPECT_NE(posts.find("@" + kDots), std::string::npos);
  // The extraction record keeps its shape: contacts and mention sources masked in place.
  const std::string extraction = lines_of(slurp(file("extractions.jsonl")))[0];
  EXPECT_NE(extraction.find(R"("sources":["@)" + kDots + "\"]"), std::string::npos) << extraction;
  EXPECT_NE(extraction.find(R"("lat":27.7779,"lon":85.7133)"), std::string::npos) << extraction;
}

TEST_F(ExportTest, UnmaskedExportHoldsThemInFull) {
  ASSERT_TRUE(export_store(everything(true)));
  const std::string posts = slurp(file("posts.jsonl"));
  for (const std::string pii : {"+977-9841567230", "ram@example.org", "\"user\":\"ram_b\"", "@ram_b", "9841000111"}) {
    EXPECT_NE(posts.find(pii), std::string::npos) << pii;
  }
  EXPECT_NE(slurp(file("extractions.jsonl")).find("\"+9779841567230\""), std::string::npos);
  const std::string csv = slurp(file("posts.csv"));
  EXPECT_NE(csv.find(",+9779841567230;ram@example.org\r\n"), std::string::npos) << csv;
}

TEST_F(ExportTest, PostsJsonlFullLayout) {
  ASSERT_TRUE(export_store(everything(false)));
  const auto lines = lines_of(slurp(file("posts.jsonl")));
  ASSERT_EQ(lines.size(), 5u);
  simdjson::dom::parser parser;
  simdjson::dom::element r1;
  ASSERT_EQ(parser.parse(lines[0]).get(r1), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(r1["id"]), "r1");
  EXPECT_EQ(std::string_view(r1["status"]), "open");
  EXPECT_EQ(std::string_view(r1["geo"]["source"]), "toponym");
  EXPECT_DOUBLE_EQ(double(r1["geo"]["lat"]), 27.7779);
  EXPECT_EQ(int64_t(r1["geo"]["geonameid"]), 1283581);
  simdjson::dom::array contacts;
  ASSERT_EQ(r1["contacts"].get(contacts), simdjson::SUCCESS);
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_TRUE(std::string_view(contacts.at(0)).starts_with("+97"));  // in text order
  EXPECT_EQ(std::string_view(contacts.at(1)), "r" + kDots + "@example.org");
  EXPECT_EQ(std::string_view(r1["normalized"]).find("9841567"), std::string_view::npos);
  simdjson::dom::element i1;
  ASSERT_EQ(parser.parse(lines[3]).get(i1), simdjson::SUCCESS);
  EXPECT_TRUE(i1["status"].is_null());
  EXPECT_TRUE(i1["geo"].is_null());
}

TEST_F(ExportTest, CsvFilesKeepOneColumnCount) {
  ASSERT_TRUE(export_store(everything(false)));
  for (const char* name : {"posts.csv", "requests.csv", "offers.csv", "matches.csv", "extractions.csv", "posts.hxl.csv",
                           "requests.hxl.csv", "offers.hxl.csv"}) {
    bool ok = false;
    const auto rows = parse_csv(slurp(file(name)), &ok);
    ASSERT_TRUE(ok) << name;
    ASSERT_GE(rows.size(), 2u) << name;
    for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size()) << name;
  }
  bool ok = false;
  const auto posts = parse_csv(slurp(file("posts.csv")), &ok);
  EXPECT_EQ(posts.size(), 6u);  // header + 5 posts
  EXPECT_EQ(posts[0].size(), 27u);
}

TEST_F(ExportTest, GeoJsonIsAFeatureCollectionOfPlacedPosts) {
  ASSERT_TRUE(export_store(everything(false)));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(file("posts.geojson"));
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  EXPECT_EQ(std::string_view(doc["type"]), "FeatureCollection");
  simdjson::dom::array features;
  ASSERT_EQ(doc["features"].get(features), simdjson::SUCCESS);
  std::vector<std::string> ids;
  for (auto f : features) {
    EXPECT_EQ(std::string_view(f["type"]), "Feature");
    EXPECT_EQ(std::string_view(f["geometry"]["type"]), "Point");
    ids.emplace_back(std::string_view(f["properties"]["id"]));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"r1", "o1", "b1"}));
  auto r1 = features.at(0);
  EXPECT_DOUBLE_EQ(double(r1["geometry"]["coordinates"].at(0)), 85.7133);  // [lon, lat]
  EXPECT_DOUBLE_EQ(double(r1["geometry"]["coordinates"].at(1)), 27.7779);
  EXPECT_EQ(std::string_view(r1["properties"]["geo_source"]), "toponym");
  EXPECT_DOUBLE_EQ(double(r1["properties"]["radius_km"]), 5.0);
  EXPECT_EQ(std::string_view(r1["properties"]["quantities"].at(0)["amount"]), "500");
  EXPECT_EQ(std::string_view(r1["properties"]["quantities"].at(0)["resource"]), "tents");
  EXPECT_EQ(std::string_view(r1["properties"]["label"]), "request");
  // An empty selection is still a valid collection.
  ExportOptions none = everything(false);
  none.kinds = {ExportKind::kPosts};
  none.formats = {ExportFormat::kGeoJson};
  none.label = Label::kUnknown;
  ASSERT_TRUE(export_store(none));
  ASSERT_EQ(parser.parse(slurp(file("posts.geojson"))).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::dom::array(doc["features"]).size(), 0u);
}

TEST_F(ExportTest, HxlHasAHashtagRowAndOneRowPerResource) {
  auto summary = export_store(everything(false));
  ASSERT_TRUE(summary);
  bool ok = false;
  const auto rows = parse_csv(slurp(file("posts.hxl.csv")), &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(rows.size(), 2u + 6u);  // r1: 1 extracted resource; o1: 1; o2: 2 types; i1: none; b1: none
  const auto& tags = rows[1];
  for (const auto& tag : tags) EXPECT_EQ(tag.front(), '#') << tag;
  for (const char* tag : {"#loc+name", "#geo+lat", "#geo+lon", "#sector", "#item+name", "#value", "#contact",
                          "#date+reported"}) {
    EXPECT_NE(std::find(tags.begin(), tags.end(), tag), tags.end()) << tag;
  }
  auto column = [&](const char* tag) { return static_cast<size_t>(std::find(tags.begin(), tags.end(), tag) - tags.begin()); };
  const auto& r1 = rows[2];
  EXPECT_EQ(r1[column("#meta+id")], "r1");
  EXPECT_EQ(r1[column("#sector")], "shelter");
  EXPECT_EQ(r1[column("#item+name")], "tents");
  EXPECT_EQ(r1[column("#value")], "500");
  EXPECT_EQ(r1[column("#loc+name")], "Chautara");
  EXPECT_EQ(r1[column("#geo+lat")], "27.7779");
  EXPECT_EQ(r1[column("#date+reported")], "2018-10-10T20:19:24Z");
  EXPECT_NE(r1[column("#contact")].find("r" + kDots + "@example.org"), std::string::npos);
  const auto& o1 = rows[3];
  EXPECT_EQ(o1[column("#sector")], "shelter");  // clothing belongs to OCHA shelter
  EXPECT_EQ(o1[column("#item+type")], "clothing");
  // o2 has no extraction: one row per resource type of the classifier.
  EXPECT_EQ(rows[4][column("#meta+id")], "o2");
  EXPECT_EQ(rows[4][column("#item+type")], "clothing");
  EXPECT_EQ(rows[4][column("#sector")], "shelter");
  EXPECT_EQ(rows[4][column("#item+name")], "");
  EXPECT_EQ(rows[5][column("#item+type")], "shelter");
  EXPECT_EQ(rows[6][column("#meta+id")], "i1");
  EXPECT_EQ(rows[6][column("#sector")], "");
  EXPECT_EQ(rows[6][column("#geo+lat")], "");
  EXPECT_EQ(summary->files[3].rows, 6u);  // posts.hxl.csv counts resource rows
}

TEST_F(ExportTest, RequestsAndOffersAreOriginalsWithTheirLabels) {
  ASSERT_TRUE(export_store(everything(false)));
  EXPECT_EQ(ids_in_jsonl("requests.jsonl"), (std::vector<std::string>{"r1", "b1"}));
  EXPECT_EQ(ids_in_jsonl("offers.jsonl"), (std::vector<std::string>{"o1", "b1"}));  // o2 is a near-duplicate
  EXPECT_EQ(ids_in_jsonl("extractions.jsonl"), (std::vector<std::string>{"r1", "o1"}));
  EXPECT_EQ(ids_in_jsonl("matches.jsonl", "request_id"), (std::vector<std::string>{"r1"}));
  bool ok = false;
  const auto extractions = parse_csv(slurp(file("extractions.csv")), &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(extractions.size(), 3u);
  EXPECT_EQ(extractions[1][3], "tents");
  EXPECT_EQ(extractions[1][4], "shelter");
  EXPECT_EQ(extractions[1][5], "500 tents");
  EXPECT_EQ(extractions[1][6], "Chautara");
  EXPECT_EQ(extractions[1][7], "@" + kDots);
}

TEST_F(ExportTest, FiltersByLabelAndTime) {
  ExportOptions o = everything(false);
  o.formats = {ExportFormat::kJsonl};
  o.label = Label::kOffer;
  ASSERT_TRUE(export_store(o));
  EXPECT_EQ(ids_in_jsonl("posts.jsonl"), (std::vector<std::string>{"o1", "o2"}));
  EXPECT_EQ(ids_in_jsonl("requests.jsonl"), std::vector<std::string>{});
  EXPECT_EQ(ids_in_jsonl("matches.jsonl", "request_id"), (std::vector<std::string>{"r1"}));  // label: not for matches

  o.label.reset();
  o.since_ms = kT0 + kHour;       // o1 is created exactly then: included
  o.until_ms = kT0 + 72 * kHour;  // b1 exactly then: excluded
  ASSERT_TRUE(export_store(o));
  EXPECT_EQ(ids_in_jsonl("posts.jsonl"), (std::vector<std::string>{"o1", "o2", "i1"}));
  EXPECT_EQ(ids_in_jsonl("matches.jsonl", "request_id"), std::vector<std::string>{});  // r1 is older
}

TEST_F(ExportTest, ReportsBadArgumentsAndStores) {
  ExportOptions o = everything(false);
  o.db_path = dir_.file("missing.sqlite");
  auto missing = export_store(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("missing.sqlite"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(o.db_path)) << "a missing store must not be created";

  o = everything(false);
  o.since_ms = kT0;
  o.until_ms = kT0;
  EXPECT_EQ(export_store(o).error().code, ErrorCode::kInvalidArgument);

  o = everything(false);
  o.kinds = {ExportKind::kMatches};
  o.formats = {ExportFormat::kGeoJson};
  EXPECT_EQ(export_store(o).error().code, ErrorCode::kInvalidArgument);

  const std::string not_a_store = dir_.file("notes.sqlite");
  std::ofstream(not_a_store) << "these are my notes, not a database\n";
  o = everything(false);
  o.db_path = not_a_store;
  EXPECT_EQ(export_store(o).error().code, ErrorCode::kCorrupt);

  o = everything(false);
  o.out_dir = dir_.file("crema.sqlite") + "/sub";  // below a file: cannot be created
  EXPECT_EQ(export_store(o).error().code, ErrorCode::kIoError);
}

TEST_F(ExportTest, StoreExportsOfCremaRunKeepTheirColumnsAndMask) {
  auto store = open_or_die(db_);
  ASSERT_NE(store, nullptr);
  std::filesystem::create_directories(out_);
  auto jsonl = store->export_posts_jsonl(file("run_posts.jsonl"));
  ASSERT_TRUE(jsonl) << jsonl.error().message;
  auto csv = store->export_posts_csv(file("run_posts.csv"));
  ASSERT_TRUE(csv) << csv.error().message;
  const auto lines = lines_of(slurp(file("run_posts.jsonl")));
  ASSERT_EQ(lines.size(), 5u);
  simdjson::dom::parser parser;
  simdjson::dom::element r1;
  ASSERT_EQ(parser.parse(lines[0]).get(r1), simdjson::SUCCESS);
  std::vector<std::string> keys;
  for (auto [key, value] : simdjson::dom::object(r1)) keys.emplace_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "created_at", "lang", "label", "probs", "resources", "duplicate_of",
                                             "lat", "lon", "place", "user", "text", "normalized"}));
  for (const char* name : {"run_posts.jsonl", "run_posts.csv"}) {
    const std::string text = slurp(file(name));
    for (const auto& pii : kRawPii) EXPECT_EQ(text.find(pii), std::string::npos) << pii << " in " << name;
  }
  EXPECT_EQ(lines_of(slurp(file("run_posts.csv")))[0],
            "id,created_at,lang,label,p_request,p_offer,p_request_and_offer,p_irrelevant,resources,duplicate_of,lat,lon,"
            "place,user,text,normalized\r");

  // The run layout unmasked (crema run --unmask-pii) needs no extractor and matches the store.
  ExportOptions o;
  o.db_path = db_;
  o.out_dir = out_;
  o.kinds = {ExportKind::kPosts};
  o.unmask_pii = true;
  o.layout = PostLayout::kRun;
  ASSERT_TRUE(export_store(o));
  EXPECT_NE(slurp(file("posts.jsonl")).find("+977-9841567230"), std::string::npos);
}

// Every file of the tiny store against tests/golden/export/tiny_store.case (input: the file
// name; expected: its bytes, CR written as \x0D). CREMA_UPDATE_GOLDEN=1 rewrites the case file.
TEST_F(ExportTest, GoldenTinyStore) {
  auto summary = export_store(everything(false));
  ASSERT_TRUE(summary);
  const std::string golden = std::string(CREMA_GOLDEN_DIR) + "/export/tiny_store.case";
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '\r') {
        out += "\\x0D";
      } else {
        out.push_back(c);
      }
    }
    return out;
  };
  if (const char* update = std::getenv("CREMA_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(golden).parent_path());
    std::ofstream out(golden, std::ios::binary);
    out << "# crema export of the tiny store in tests/unit/store/export_store_test.cc (all kinds and formats, masked)\n";
    for (const auto& f : summary->files) {
      const std::string name = std::filesystem::path(f.path).filename().string();
      std::string content = slurp(f.path);
      if (!content.empty() && content.back() == '\n') content.pop_back();
      out << name << "\n----\n" << escape(content) << "\n====\n";
    }
  }
  const auto cases = crema::testing::read_golden_cases(golden);
  ASSERT_EQ(cases.size(), summary->files.size()) << golden;
  for (const auto& c : cases) {
    std::string actual = slurp(file(c.input));
    if (!actual.empty() && actual.back() == '\n') actual.pop_back();
    EXPECT_EQ(actual, c.expected) << c.name << " (" << c.input << ")";
  }
}

}  // namespace
}  // namespace crema::store
