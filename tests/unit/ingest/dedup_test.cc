// Tests of dedup_words and NearDuplicateIndex, including a brute-force exact-Jaccard oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crema/ingest/dedup.h"

namespace crema::ingest {
namespace {

using Words = std::vector<std::string>;

double jaccard(const Words& a, const Words& b) {
  std::vector<std::string> inter;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(inter));
  const size_t uni = a.size() + b.size() - inter.size();
  return uni == 0 ? 0.0 : static_cast<double>(inter.size()) / static_cast<double>(uni);
}

TEST(DedupWords, DropsStopWordsUrlsMentionsAndRt) {
  EXPECT_EQ(dedup_words("RT @NepalRedCross: We NEED water and tents in Gorkha http://t.co/abc #NepalQuake"),
            (Words{"gorkha", "need", "nepalquake", "tents", "water"}));
  EXPECT_EQ(dedup_words("Necesitamos agua y comida para los niños www.example.org/x"),
            (Words{"agua", "comida", "necesitamos", "niños"}));
  EXPECT_EQ(dedup_words("travel--->https://t.co/X9 water water WATER"), (Words{"travel", "water"}));
  // An e-mail address is not a mention; its parts stay words.
  EXPECT_EQ(dedup_words("mail help@redcross.org"), (Words{"help", "mail", "org", "redcross"}));
  EXPECT_TRUE(dedup_words("RT @a: http://t.co/x the and of").empty());
}

TEST(NearDuplicateIndex, IdenticalTextsLinkToTheFirst) {
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("1", "Need drinking water in Bhaktapur now"), std::nullopt);
  EXPECT_EQ(index.add("2", "Need drinking water in Bhaktapur now"), "1");
  EXPECT_EQ(index.add("3", "need DRINKING water, Bhaktapur... now!!"), "1");
  EXPECT_EQ(index.size(), 1u);
}

TEST(NearDuplicateIndex, NearDuplicateAboveThreshold) {
  const std::string a = "urgent need blood donors type negative bir hospital kathmandu tonight";
  const std::string b = "urgent need blood donors type negative bir hospital kathmandu";
  const Words wa = dedup_words(a);
  const Words wb = dedup_words(b);
  // 10 content words vs 9, all shared: J = 9/10.
  ASSERT_EQ(wa.size(), 10u);
  ASSERT_EQ(wb.size(), 9u);
  EXPECT_DOUBLE_EQ(jaccard(wa, wb), 0.9);
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("a", a), std::nullopt);
  EXPECT_EQ(index.add("b", b), "a");
}

TEST(NearDuplicateIndex, ExactlyAtThresholdLinks) {
  // {w1..w4} vs {w1..w5}: J = 4/5 = 0.8 exactly, which counts (>= threshold).
  const std::string a = "alpha bravo charlie delta";
  const std::string b = "alpha bravo charlie delta echo";
  EXPECT_DOUBLE_EQ(jaccard(dedup_words(a), dedup_words(b)), 0.8);
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("a", a), std::nullopt);
  EXPECT_EQ(index.add("b", b), "a");
}

TEST(NearDuplicateIndex, BelowThresholdNotLinked) {
  // 7 shared of 10 in the union: J = 0.7.
  const std::string a = "shelter available school ground lalitpur families blankets food";
  const std::string b = "shelter available school ground lalitpur families blankets water medicine";
  const double j = jaccard(dedup_words(a), dedup_words(b));
  EXPECT_DOUBLE_EQ(j, 0.7);
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("a", a), std::nullopt);
  EXPECT_EQ(index.add("b", b), std::nullopt);
  EXPECT_EQ(index.size(), 2u);
  // A lower threshold links them.
  NearDuplicateIndex loose(DedupOptions{.threshold = 0.7});
  EXPECT_EQ(loose.add("a", a), std::nullopt);
  EXPECT_EQ(loose.add("b", b), "a");
}

TEST(NearDuplicateIndex, StopWordsUrlsAndMentionsAreIgnored) {
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("1", "Volunteers needed at Tundikhel camp http://bit.ly/aaa"), std::nullopt);
  EXPECT_EQ(index.add("2", "RT @someone: the volunteers are needed at the Tundikhel camp https://t.co/zzz"), "1");
  EXPECT_EQ(index.add("3", "@x @y volunteers needed tundikhel camp via @z"), "1");
}

TEST(NearDuplicateIndex, ChainsLinkToTheFirstPost) {
  // B is a near-dup of A; C is a near-dup of both: C links to A, the first original.
  const std::string a = "one two three four five six seven eight nine ten";
  const std::string b = "one two three four five six seven eight nine ten eleven";
  const std::string c = "one two three four five six seven eight nine ten eleven twelve";
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("A", a), std::nullopt);
  EXPECT_EQ(index.add("B", b), "A");
  EXPECT_EQ(index.add("C", c), "A");
  // D is close to C (J = 10/12, but C is a duplicate and not indexed) and not to A: it stays
  // an original.
  const std::string d = "one two three four five six seven eight eleven twelve";  // J(A,D) = 8/12
  EXPECT_LT(jaccard(dedup_words(a), dedup_words(d)), 0.8);
  EXPECT_EQ(index.add("D", d), std::nullopt);
}

TEST(NearDuplicateIndex, ShortPostsOnlyMatchExactly) {
  NearDuplicateIndex index;
  EXPECT_EQ(index.add("1", "help Sindhupalchok"), std::nullopt);
  EXPECT_EQ(index.add("2", "HELP sindhupalchok!"), "1");
  EXPECT_EQ(index.add("3", "help"), std::nullopt);
  // Posts with no content words never match each other.
  EXPECT_EQ(index.add("4", "RT @a: http://t.co/1"), std::nullopt);
  EXPECT_EQ(index.add("5", "RT @b: http://t.co/2"), std::nullopt);
}

TEST(NearDuplicateIndex, EarliestOfSeveralMatchesWins) {
  NearDuplicateIndex index;
  // Two originals that are not near-dups of each other (J = 8/12); r has J = 9/11 with
  // both, and links to the earlier one.
  EXPECT_EQ(index.add("x", "a1 a2 a3 a4 a5 a6 a7 a8 b1 b2"), std::nullopt);
  EXPECT_EQ(index.add("y", "a1 a2 a3 a4 a5 a6 a7 a8 c1 c2"), std::nullopt);
  EXPECT_EQ(index.add("r", "a1 a2 a3 a4 a5 a6 a7 a8 b1 c1"), "x");
}

// Property test: random word sets with planted near-duplicates, checked against a
// brute-force O(n^2) exact-Jaccard oracle over the index's own originals.
TEST(NearDuplicateIndex, AgreesWithBruteForceOracle) {
  std::mt19937_64 rng(20150425);
  const int kPosts = 3000;
  const int kVocab = 400;
  std::vector<Words> sets;
  std::vector<std::string> texts;
  for (int i = 0; i < kPosts; ++i) {
    std::set<std::string> words;
    if (i > 0 && rng() % 2 == 0) {  // mutate an earlier post: drop/add a few words
      const Words& base = sets[rng() % sets.size()];
      words.insert(base.begin(), base.end());
      const int edits = static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        if (rng() % 2 == 0 && words.size() > 1) {
          auto it = words.begin();
          std::advance(it, static_cast<long>(rng() % words.size()));
          words.erase(it);
        } else {
          words.insert("w" + std::to_string(rng() % kVocab));
        }
      }
    } else {
      const int n = 1 + static_cast<int>(rng() % 15);
      while (static_cast<int>(words.size()) < n) words.insert("w" + std::to_string(rng() % kVocab));
    }
    std::string text;
    for (const auto& w : words) text += w + " ";
    texts.push_back(text);
    sets.push_back(dedup_words(text));
    ASSERT_EQ(sets.back(), Words(words.begin(), words.end()));
  }

  const DedupOptions options;
  auto matches = [&](const Words& a, const Words& b) {
    if (a.empty() || b.empty()) return false;
    const int min_words = options.min_words;
    if (static_cast<int>(a.size()) < min_words || static_cast<int>(b.size()) < min_words) return a == b;
    return jaccard(a, b) >= options.threshold - 1e-12;
  };

  NearDuplicateIndex index(options);
  std::vector<int> originals;
  int linked = 0;
  int should_link = 0;
  int found = 0;
  int earliest = 0;
  for (int i = 0; i < kPosts; ++i) {
    const auto got = index.add(std::to_string(i), texts[static_cast<size_t>(i)]);
    int oracle_first = -1;
    for (int j : originals) {
      if (matches(sets[static_cast<size_t>(i)], sets[static_cast<size_t>(j)])) {
        oracle_first = j;
        break;
      }
    }
    if (oracle_first >= 0) ++should_link;
    if (got) {
      ++linked;
      const int j = std::stoi(*got);
      // No false positives: the link is to an earlier original that truly matches.
      ASSERT_LT(j, i);
      ASSERT_TRUE(std::find(originals.begin(), originals.end(), j) != originals.end());
      ASSERT_TRUE(matches(sets[static_cast<size_t>(i)], sets[static_cast<size_t>(j)]))
          << "false positive " << i << " -> " << j;
      if (oracle_first >= 0) ++found;
      if (j == oracle_first) ++earliest;
    } else {
      originals.push_back(i);
    }
  }
  ASSERT_GT(should_link, 500);  // the generator plants plenty of near-duplicates
  EXPECT_EQ(linked, found);
  const double recall = static_cast<double>(found) / static_cast<double>(should_link);
  const double earliest_rate = static_cast<double>(earliest) / static_cast<double>(found);
  std::printf("dedup oracle: %d pairs to link, recall %.5f, earliest-original rate %.5f\n", should_link, recall,
              earliest_rate);
  EXPECT_GE(recall, 0.995);
  EXPECT_GE(earliest_rate, 0.995);
}

}  // namespace
}  // namespace crema::ingest
