#include <gtest/gtest.h>

#include <string>

#include "crema/text/normalize.h"
#include "golden.h"

namespace crema::text {
namespace {

TEST(GoldenNormalize, File) {
  const auto cases = testing::read_golden_cases(CREMA_GOLDEN_DIR "/text/normalize.case");
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    const NormalizedText n = normalize(c.input);
    EXPECT_EQ(n.text, c.expected) << c.name;
    EXPECT_EQ(normalize_text(c.input), c.expected) << c.name;
    EXPECT_EQ(normalize_text(n.text), n.text) << c.name << " (idempotence)";
    ASSERT_EQ(n.offsets.size(), n.text.size() + 1) << c.name;
  }
}

}  // namespace
}  // namespace crema::text
