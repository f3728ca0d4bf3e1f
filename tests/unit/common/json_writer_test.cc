#include "crema/common/json_writer.h"

#include <gtest/gtest.h>

namespace crema {
namespace {

TEST(JsonWriter, NestedContainers) {
  JsonWriter w;
  w.begin_object().key("id").value("a").key("n").value(int64_t{3}).key("xs").begin_array();
  w.value(1.5).value(true).null().end_array().key("o").begin_object().end_object().end_object();
  EXPECT_EQ(w.str(), R"({"id":"a","n":3,"xs":[1.5,true,null],"o":{}})");
}

TEST(JsonWriter, EscapesAndRepairsStrings) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\t\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\t\u0001")");
  out.clear();
  append_json_string(out, "caf\xC3\xA9 \xFF end");  // valid é, invalid 0xFF
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xEF\xBF\xBD end\"");
  out.clear();
  append_json_string(out, "\xED\xA0\x80");  // UTF-16 surrogate encoded in UTF-8: invalid
  EXPECT_EQ(out, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonWriter, NonFiniteIsNull) {
  JsonWriter w;
  w.begin_array().value(1.0 / 0.0).end_array();
  EXPECT_EQ(w.str(), "[null]");
}

}  // namespace
}  // namespace crema
