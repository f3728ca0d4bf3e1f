// End-to-end tests of `crema export` (and the masking of `crema run`'s own exports) on a
// store made by `crema run` from data/sample: nothing found as a contact by extraction
// leaks by default, --unmask-pii writes it in full, every format parses, exit codes.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

namespace fs = std::filesystem;
using namespace crema_e2e;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

// RFC 4180 records; *ok is false for a malformed file.
std::vector<std::vector<std::string>> parse_csv(const std::string& s, bool* ok) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  *ok = true;
  bool quoted = false, field_start = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (field_start && c == '"') {
      quoted = true;
      field_start = false;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_start = true;
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      field_start = true;
      ++i;
    } else if (c == '"' || c == '\n' || c == '\r') {
      *ok = false;
      return rows;
    } else {
      field.push_back(c);
      field_start = false;
    }
  }
  if (quoted || !row.empty() || !field.empty()) *ok = false;
  return rows;
}

// The contacts extraction found in the store (posts.extraction_json holds them unmasked).
struct Contacts {
  std::vector<std::string> emails;       // lower case
  std::vector<std::string> phone_tails;  // last 7 digits of each phone
};

Contacts stored_contacts(const std::string& db_path) {
  Contacts out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
  sqlite3_stmt* stmt = nullptr;
  const char* sql = "SELECT j.value FROM posts, json_each(posts.extraction_json, '$.contacts') AS j";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      if (value.find('@') != std::string::npos) {
        out.emails.push_back(lower(value));
      } else if (value.find_first_not_of("+0123456789") == std::string::npos && digits_of(value).size() >= 7) {
        const std::string digits = digits_of(value);
        out.phone_tails.push_back(digits.substr(digits.size() - 7));
      }
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Columns and keys that carry free text or personal data (numbers such as ids, times,
// probabilities and coordinates are left out: their digits would look like phone tails).
bool personal_field(std::string_view name) {
  return name == "text" || name == "normalized" || name == "user" || name == "place" || name == "contacts" ||
         name == "contact" || name == "sources";
}

// The personal-data fields of a file crema export wrote, whatever its format.
std::vector<std::string> text_fields(const std::string& path) {
  std::vector<std::string> fields;
  const std::string content = read_text(path);
  if (path.ends_with(".csv")) {
    bool ok = false;
    const auto rows = parse_csv(content, &ok);
    EXPECT_TRUE(ok) << path;
    std::vector<bool> keep;
    if (!rows.empty()) {
      for (const auto& name : rows[0]) keep.push_back(personal_field(name));
    }
    for (size_t r = 1; r < rows.size(); ++r)
      for (size_t i = 0; i < rows[r].size() && i < keep.size(); ++i)
        if (keep[i]) fields.push_back(rows[r][i]);
    return fields;
  }
  simdjson::dom::parser parser;
  std::vector<std::string> docs = path.ends_with(".geojson") ? std::vector<std::string>{content} : split_lines(content);
  for (const auto& doc : docs) {
    simdjson::dom::element e;
    EXPECT_EQ(parser.parse(doc).get(e), simdjson::SUCCESS) << path;
    // (element, inside a personal field)
    std::vector<std::pair<simdjson::dom::element, bool>> stack{{e, false}};
    while (!stack.empty()) {
      auto [cur, personal] = stack.back();
      stack.pop_back();
      if (cur.is_object()) {
        for (auto [k, v] : simdjson::dom::object(cur)) stack.emplace_back(v, personal || personal_field(k));
      } else if (cur.is_array()) {
        for (auto v : simdjson::dom::array(cur)) stack.emplace_back(v, personal);
      } else if (cur.is_string() && personal) {
        fields.emplace_back(std::string_view(cur));
      }
    }
  }
  return fields;
}

// Counts the stored contacts that appear in the text fields of path.
size_t leaked(const std::string& path, const Contacts& contacts) {
  size_t found = 0;
  const auto fields = text_fields(path);
  std::string all_lower, all_digit_runs;
  for (const auto& f : fields) {
    all_lower += lower(f) + "\n";
    all_digit_runs += digits_of(f) + "\n";
  }
  for (const auto& e : contacts.emails) found += all_lower.find(e) != std::string::npos;
  for (const auto& p : contacts.phone_tails) found += all_digit_runs.find(p) != std::string::npos;
  return found;
}

const std::string kSample = std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";

class CremaExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("export");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    run_ = run_crema({"--quiet", "run", "--in", kSample, "--out", dir_ + "/run"});
    contacts_ = stored_contacts(dir_ + "/run/crema.sqlite");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static std::string db() { return dir_ + "/run/crema.sqlite"; }

  static std::string dir_;
  static CliResult run_;
  static Contacts contacts_;
};
std::string CremaExport::dir_;
CliResult CremaExport::run_;
Contacts CremaExport::contacts_;

TEST_F(CremaExport, TheSampleHasContactsToHide) {
  ASSERT_EQ(run_.exit_code, 0) << run_.out;
  EXPECT_GE(contacts_.emails.size() + contacts_.phone_tails.size(), 3u) << "the test would prove nothing";
}

TEST_F(CremaExport, DefaultExportLeaksNoContactAndEveryFormatParses) {
  ASSERT_EQ(run_.exit_code, 0);
  const std::string out = dir_ + "/masked";
  const CliResult r = run_crema({"--json", "export", "--db", db(), "--out", out, "--what",
                          "posts,requests,offers,matches,extractions", "--format", "jsonl,csv,geojson,hxl"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_EQ(parser.parse(r.out).get(summary), simdjson::SUCCESS) << r.out;
  EXPECT_TRUE(bool(summary["masked"]));
  simdjson::dom::array files;
  ASSERT_EQ(summary["files"].get(files), simdjson::SUCCESS);
  EXPECT_EQ(files.size(), 16u);
  for (auto f : files) {
    const std::string path{std::string_view(f["path"])};
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(leaked(path, contacts_), 0u) << path;
    if (path.ends_with(".csv")) {
      bool ok = false;
      const auto rows = parse_csv(read_text(path), &ok);
      ASSERT_TRUE(ok) << path;
      ASSERT_FALSE(rows.empty()) << path;
      for (const auto& row : rows) ASSERT_EQ(row.size(), rows[0].size()) << path;
    }
  }
  // posts: one line per stored post; GeoJSON: only placed ones.
  const auto posts = split_lines(read_text(out + "/posts.jsonl"));
  EXPECT_EQ(static_cast<int64_t>(posts.size()), sql_count(db(), "SELECT count(*) FROM posts"));
  EXPECT_GE(posts.size(), 2000u);
  simdjson::dom::element geo;
  ASSERT_EQ(parser.parse(read_text(out + "/posts.geojson")).get(geo), simdjson::SUCCESS);
  const size_t features = simdjson::dom::array(geo["features"]).size();
  EXPECT_GT(features, 1000u);  // 60 % of the sample is geotagged, more are placed by name
  EXPECT_LE(features, 2100u);
  // HXL: the second row is the hashtag row.
  bool ok = false;
  const auto hxl = parse_csv(read_text(out + "/posts.hxl.csv"), &ok);
  ASSERT_GE(hxl.size(), 3u);
  EXPECT_EQ(hxl[1][0], "#meta+id");
}

TEST_F(CremaExport, CremaRunsOwnExportsAreMasked) {
  ASSERT_EQ(run_.exit_code, 0);
  EXPECT_EQ(leaked(dir_ + "/run/posts.jsonl", contacts_), 0u);
  EXPECT_EQ(leaked(dir_ + "/run/posts.csv", contacts_), 0u);
}

TEST_F(CremaExport, UnmaskPiiWritesContactsInFullAndWarns) {
  ASSERT_EQ(run_.exit_code, 0);
  const std::string out = dir_ + "/unmasked";
  const CliResult r = run_crema({"export", "--db", db(), "--out", out, "--what", "posts", "--unmask-pii"}, Stderr::kCaptured);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: --unmask-pii"), std::string::npos) << r.out;
  const size_t total = contacts_.emails.size() + contacts_.phone_tails.size();
  EXPECT_EQ(leaked(out + "/posts.jsonl", contacts_), total);
  EXPECT_EQ(leaked(out + "/posts.csv", contacts_), total);
}

TEST_F(CremaExport, FiltersByLabelAndTime) {
  ASSERT_EQ(run_.exit_code, 0);
  const std::string out = dir_ + "/filtered";
  const CliResult r = run_crema({"--quiet", "export", "--db", db(), "--out", out, "--what", "posts", "--format", "jsonl",
                          "--label", "offer", "--since", "2013-01-01", "--until", "2013-12-31T23:59:59Z"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  const auto lines = split_lines(read_text(out + "/posts.jsonl"));
  EXPECT_FALSE(lines.empty());
  for (const auto& line : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(e["label"]), "offer");
    EXPECT_EQ(std::string_view(e["created_at"]).substr(0, 4), "2013");
  }
}

TEST(CremaExportCli, ExitCodesAndMessages) {
  EXPECT_EQ(run_crema({"export", "--help"}).exit_code, 0);
  EXPECT_EQ(run_crema({"export"}).exit_code, 2);  // --db and --out missing
  const std::string dir = temp_dir("export_cli");
  fs::create_directories(dir);

  const CliResult missing = run_crema({"export", "--db", dir + "/none.sqlite", "--out", dir + "/o"}, Stderr::kCaptured);
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;
  EXPECT_FALSE(fs::exists(dir + "/none.sqlite"));

  const CliResult bad_since = run_crema({"export", "--db", dir + "/none.sqlite", "--out", dir + "/o", "--since", "yesterday"}, Stderr::kCaptured);
  EXPECT_EQ(bad_since.exit_code, 2) << bad_since.out;
  EXPECT_NE(bad_since.out.find("--since: cannot read 'yesterday' as a time"), std::string::npos) << bad_since.out;

  EXPECT_EQ(run_crema({"export", "--db", dir + "/x", "--out", dir + "/o", "--what", "tweets"}).exit_code, 2);
  EXPECT_EQ(run_crema({"export", "--db", dir + "/x", "--out", dir + "/o", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(run_crema({"export", "--db", dir + "/x", "--out", dir + "/o", "--label", "maybe"}).exit_code, 2);
  EXPECT_EQ(run_crema({"export", "--db", dir + "/x", "--out", dir + "/o", "--since", "2013-02-01", "--until", "2013-01-01"})
                .exit_code,
            2);

  std::ofstream(dir + "/notes.sqlite") << "not a database\n";
  EXPECT_EQ(run_crema({"export", "--db", dir + "/notes.sqlite", "--out", dir + "/o"}).exit_code, 1);
  fs::remove_all(dir);
}

TEST(CremaRunPii, RunMasksByDefaultAndUnmasksOnRequest) {
  const std::string dir = temp_dir("run_pii");
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream f(dir + "/in.jsonl");
    f << R"({"id":"1","text":"Need drinking water for 40 families, call +63 917 555 1234 or write to Ana.Cruz@example.org","created_at":"2013-11-09T08:00:00Z","kind":"request","lat":11.24,"lon":125.0,"user":"ana_c"})"
      << "\n"
      << R"({"id":"2","text":"We can give water bottles in Tacloban, contact @relief_ph","created_at":"2013-11-09T09:00:00Z","kind":"offer","lat":11.25,"lon":125.0})"
      << "\n";
  }
  ASSERT_EQ(run_crema({"--quiet", "run", "--in", dir + "/in.jsonl", "--out", dir + "/masked"}).exit_code, 0);
  for (const char* name : {"/masked/posts.jsonl", "/masked/posts.csv"}) {
    const std::string text = read_text(dir + name);
    EXPECT_EQ(text.find("555 1234"), std::string::npos) << name;
    EXPECT_EQ(lower(text).find("ana.cruz"), std::string::npos) << name;
    EXPECT_EQ(text.find("relief_ph"), std::string::npos) << name;
    EXPECT_EQ(text.find("ana_c"), std::string::npos) << name;
  }
  const CliResult r = run_crema({"--quiet", "run", "--in", dir + "/in.jsonl", "--out", dir + "/unmasked", "--unmask-pii"}, Stderr::kCaptured);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: --unmask-pii"), std::string::npos) << r.out;
  for (const char* name : {"/unmasked/posts.jsonl", "/unmasked/posts.csv"}) {
    const std::string text = read_text(dir + name);
    EXPECT_NE(text.find("+63 917 555 1234"), std::string::npos) << name;
    EXPECT_NE(text.find("Ana.Cruz@example.org"), std::string::npos) << name;
    EXPECT_NE(text.find("ana_c"), std::string::npos) << name;
  }
  fs::remove_all(dir);
}

}  // namespace
