#include <gtest/gtest.h>

#include <string>

#include "crema/filter/prefilter.h"
#include "golden.h"

namespace crema::filter {
namespace {

std::string joined(const std::vector<int>& ids) {
  if (ids.empty()) return "none";
  std::string out;
  for (const int id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

TEST(GoldenPrefilter, File) {
  const auto cases = testing::read_golden_cases(CREMA_GOLDEN_DIR "/filter/prefilter.case");
  ASSERT_GE(cases.size(), 30u);
  std::vector<Prefilter::Backend> backends{Prefilter::Backend::kRe2};
  if (hyperscan_available()) backends.push_back(Prefilter::Backend::kHyperscan);
  for (const auto backend : backends) {
    auto p = Prefilter::load(CREMA_SOURCE_DIR "/data/prefilter/patterns.txt", backend);
    ASSERT_TRUE(p) << p.error().message;
    for (const auto& c : cases) {
      EXPECT_EQ(joined((*p)->matching_ids(c.input)), c.expected) << (*p)->backend_name() << " " << c.name;
    }
  }
}

}  // namespace
}  // namespace crema::filter
