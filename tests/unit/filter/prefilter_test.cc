#include "crema/filter/prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crema::filter {
namespace {

const std::string kBundled = CREMA_SOURCE_DIR "/data/prefilter/patterns.txt";

std::vector<Prefilter::Backend> backends() {
  std::vector<Prefilter::Backend> out{Prefilter::Backend::kRe2};
  if (hyperscan_available()) out.push_back(Prefilter::Backend::kHyperscan);
  return out;
}

// Compiled once per backend: Hyperscan takes about a second for the bundled set.
const Prefilter* bundled(Prefilter::Backend backend) {
  static std::map<Prefilter::Backend, std::unique_ptr<Prefilter>> cache;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[backend];
  if (!slot) {
    auto p = Prefilter::load(kBundled, backend);
    if (!p) {
      ADD_FAILURE() << p.error().message;
      return nullptr;
    }
    slot = std::move(*p);
  }
  return slot.get();
}

bool fires(const Prefilter& p, std::string_view text, int id) {
  const auto ids = p.matching_ids(text);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(ParsePatterns, CommentsBlanksAndCrlf) {
  const auto p = parse_patterns("# header\n\n  \n1\tfirst\tneed\r\n  # indented comment\n2\tsecond\tw(a|b)\n",
                                "mem");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].id, 1);
  EXPECT_EQ((*p)[0].name, "first");
  EXPECT_EQ((*p)[0].regex, "need");
  EXPECT_EQ((*p)[1].regex, "w(a|b)");
}

TEST(ParsePatterns, RegexMayContainTabs) {
  const auto p = parse_patterns("7\tname\ta\tb\n", "mem");
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0].regex, "a\tb");
}

TEST(ParsePatterns, BadLinesNameTheLine) {
  struct Bad {
    const char* content;
    const char* message_part;
  };
  for (const Bad& bad : {
           Bad{"# ok\n1\tonly_two_fields\n", "mem:2:"},
           Bad{"x\tname\tre\n", "positive integer"},
           Bad{"0\tname\tre\n", "positive integer"},
           Bad{"-3\tname\tre\n", "positive integer"},
           Bad{"1\tname\tre\n\n1\tagain\tre\n", "mem:3: duplicate pattern id 1"},
           Bad{"1\t\tre\n", "name must be one word"},
           Bad{"1\ttwo words\tre\n", "name must be one word"},
           Bad{"1\tname\t\n", "empty regex"},
           Bad{"1\tname\t\xFF\n", "not valid UTF-8"},
       }) {
    const auto p = parse_patterns(bad.content, "mem");
    ASSERT_FALSE(p) << bad.content;
    EXPECT_EQ(p.error().code, ErrorCode::kParseError);
    EXPECT_NE(p.error().message.find(bad.message_part), std::string::npos) << p.error().message;
  }
}

TEST(LoadPatterns, MissingFile) {
  const auto p = load_patterns("/nonexistent/patterns.txt");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  EXPECT_NE(p.error().message.find("/nonexistent/patterns.txt"), std::string::npos);
}

TEST(LoadPatterns, BundledFile) {
  const auto p = load_patterns(kBundled);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_GE(p->size(), 24u + 8u);
  for (int id = 1; id <= 24; ++id) {
    EXPECT_EQ((*p)[static_cast<size_t>(id - 1)].id, id);
  }
  for (const Pattern& pattern : *p) {
    EXPECT_EQ(pattern.regex.find("\\b"), std::string::npos) << pattern.id;
    EXPECT_EQ(pattern.regex.find("\\w"), std::string::npos) << pattern.id;
  }
}

TEST(Compile, ErrorNamesPatternId) {
  for (const auto backend : backends()) {
    const auto p = Prefilter::compile({{1, "ok", "need"}, {42, "broken", "(unclosed"}}, backend);
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("pattern 42"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find("broken"), std::string::npos) << p.error().message;
  }
}

TEST(Compile, EmptyPatternListIsAnError) {
  EXPECT_FALSE(Prefilter::compile({}));
}

TEST(Compile, BackendNames) {
  const auto re2 = Prefilter::compile({{1, "a", "need"}}, Prefilter::Backend::kRe2);
  ASSERT_TRUE(re2);
  EXPECT_STREQ((*re2)->backend_name(), "re2");
  const auto hs = Prefilter::compile({{1, "a", "need"}}, Prefilter::Backend::kHyperscan);
  if (hyperscan_available()) {
    ASSERT_TRUE(hs) << hs.error().message;
    EXPECT_STREQ((*hs)->backend_name(), "hyperscan");
    const auto automatic = Prefilter::compile({{1, "a", "need"}});
    ASSERT_TRUE(automatic);
    EXPECT_STREQ((*automatic)->backend_name(), "hyperscan");
  } else {
    ASSERT_FALSE(hs);
    EXPECT_EQ(hs.error().code, ErrorCode::kUnsupported);
  }
}

TEST(Match, CaseInsensitiveAndIdsAscending) {
  for (const auto backend : backends()) {
    const auto p = Prefilter::compile({{9, "b", "water"}, {3, "a", "need"}, {5, "c", "xyz"}}, backend);
    ASSERT_TRUE(p);
    EXPECT_EQ((*p)->matching_ids("WE NEED Water"), (std::vector<int>{3, 9}));
    EXPECT_TRUE((*p)->matches("need"));
    EXPECT_FALSE((*p)->matches("nothing here"));
    EXPECT_TRUE((*p)->matching_ids("").empty());
    EXPECT_EQ((*p)->patterns().size(), 3u);
  }
}

// The five patterns shown in CReMa Table I, on examples of what they should and should not
// catch, in both backends.
TEST(TableI, ShownPatterns) {
  struct Example {
    int id;
    const char* text;
    bool expected;
  };
  const Example examples[] = {
      {1, "Please help the flood victims", true},
      {1, "Volunteers from the response team arrived", true},
      {1, "The relief fund is open", true},
      {1, "helpful tips for the day", false},  // whole words only
      {1, "nice weather today", false},
      {2, "Donations accepted at the church", true},
      {2, "I am donating my old car", true},
      {2, "the donator was thanked", false},
      {3, "Collecting blankets and gloves for evacuees", true},
      {3, "We have PPE and sanitizers", true},
      {3, "Bring supplies to the shelter", true},
      {3, "the glovebox is broken", false},
      {4, "We need emergency services at Main St", true},
      {4, "Looking for a shelter for 3 people", true},
      {4, "offering free help with sandbags", true},
      {4, "Anyone sharing updates from the coast?", true},
      {4, "need\nhelp", true},       // '.' and the gap cross newlines
      {4, "I need a nap", false},    // no resource word after
      {4, "help needed", false},     // order matters
      {5, "Where can I get water?", true},
      {5, "Is the bridge open ?", false},  // Table I #5 needs a word right before '?'
      {5, "\xC2\xBF" "D\xC3\xB3nde est\xC3\xA1?", true},
      {5, "\xD9\x87\xD9\x84 \xD9\x8A\xD9\x88\xD8\xAC\xD8\xAF \xD9\x85\xD8\xA7\xD8\xA1\xD8\x9F", true},  // Arabic ؟
      {5, "no question here", false},
  };
  for (const auto backend : backends()) {
    const auto p = bundled(backend);
    ASSERT_NE(p, nullptr);
    for (const Example& e : examples) {
      EXPECT_EQ(fires(*p, e.text, e.id), e.expected)
          << p->backend_name() << " pattern " << e.id << ": " << e.text;
    }
  }
}

TEST(Match, UnicodeWordBoundariesAgree) {
  // "need" glued to a non-ASCII letter is not the word "need" in either backend.
  for (const auto backend : backends()) {
    const auto p = bundled(backend);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(fires(*p, "needé", 6)) << p->backend_name();
    EXPECT_FALSE(fires(*p, "éneed", 6)) << p->backend_name();
    EXPECT_TRUE(fires(*p, "«need»", 6)) << p->backend_name();
    EXPECT_TRUE(fires(*p, "need…", 6)) << p->backend_name();
    EXPECT_TRUE(fires(*p, "NÉCESSAIRE besoin", 26)) << p->backend_name();
  }
}

TEST(Match, InvalidUtf8IsSafe) {
  for (const auto backend : backends()) {
    const auto p = bundled(backend);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(fires(*p, "we \xFF need \xC3 water", 6)) << p->backend_name();
    EXPECT_FALSE(p->matches(std::string("\xFF\xFE\x00\x80", 4))) << p->backend_name();
  }
}

TEST(Match, ConcurrentCallersGetTheSameAnswers) {
  const std::vector<std::string> posts = {
      "We need water and food at the shelter", "Giving away free blankets, DM me",
      "nice sunset tonight", "Necesitamos agua potable", "Anyone have a boat? stranded on roof",
  };
  for (const auto backend : backends()) {
    const auto p = bundled(backend);
    ASSERT_NE(p, nullptr);
    std::vector<std::vector<int>> expected;
    for (const auto& post : posts) expected.push_back(p->matching_ids(post));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2000; ++i) {
          const size_t k = static_cast<size_t>(i + t) % posts.size();
          if (p->matching_ids(posts[k]) != expected[k]) ++mismatches;
          if (p->matches(posts[k]) != !expected[k].empty()) ++mismatches;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0) << p->backend_name();
  }
}

}  // namespace
}  // namespace crema::filter
