// Unit tests of the server's pieces that need no running server: PII masking, the token
// bucket, the config file.
#include <gtest/gtest.h>

#include <fstream>

#include "config.h"
#include "pii.h"
#include "rate_limit.h"
#include "server_process.h"

namespace crema::server {
namespace {

TEST(Pii, MasksHandlesEmailsAndPhones) {
  EXPECT_EQ(mask_pii("ask @RedCross_NP now"), "ask @\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2 now");
  const std::string e = mask_pii("mail ram.k@example.org please");
  EXPECT_EQ(e.find("ram.k"), std::string::npos);
  EXPECT_NE(e.find("@example.org"), std::string::npos);
  const std::string p = mask_pii("call +977 984-156-7230.");
  EXPECT_EQ(p.find("984"), std::string::npos);
  EXPECT_NE(p.find("30."), std::string::npos);  // last two digits kept, punctuation kept
  EXPECT_EQ(mask_pii("need 500 tents and 20 litres"), "need 500 tents and 20 litres");
  EXPECT_EQ(mask_pii("room 12345"), "room 12345");   // too short for a phone
  EXPECT_EQ(mask_pii("a@b"), "a@b");                 // not an e-mail (no dot in domain)
  EXPECT_EQ(mask_pii(""), "");
  EXPECT_EQ(mask_pii("caf\xC3\xA9 @x"), "caf\xC3\xA9 @\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2");
}

TEST(Pii, JsonForViewers) {
  const std::string out = mask_json_for_viewer(
      R"({"request_id":"r1","user":"ramesh","text":"call 9841567230","offers":[{"user":"x","score":0.5}],"contacts":[{"value":"+977"}]})");
  EXPECT_EQ(out.find("ramesh"), std::string::npos);
  EXPECT_EQ(out.find("9841567230"), std::string::npos);
  EXPECT_EQ(out.find("+977"), std::string::npos);
  EXPECT_NE(out.find("\"request_id\":\"r1\""), std::string::npos);
  EXPECT_NE(out.find("\"score\":0.5"), std::string::npos);
  EXPECT_NE(out.find("\"contacts\":{\"masked\":1}"), std::string::npos);
  EXPECT_EQ(mask_json_for_viewer("not json"), "{}");
  EXPECT_EQ(mask_json_for_viewer("[1,2]"), "{}");
}

TEST(RateLimit, BurstThenRefill) {
  RateLimiter rl(2.0, 3.0);
  const auto t0 = RateLimiter::Clock::now();
  EXPECT_EQ(rl.acquire(1, t0), 0);
  EXPECT_EQ(rl.acquire(1, t0), 0);
  EXPECT_EQ(rl.acquire(1, t0), 0);
  const double wait = rl.acquire(1, t0);
  EXPECT_NEAR(wait, 0.5, 1e-9);
  EXPECT_EQ(rl.acquire(2, t0), 0) << "keys have separate buckets";
  EXPECT_EQ(rl.acquire(1, t0 + std::chrono::milliseconds(600)), 0);
  EXPECT_GT(rl.acquire(1, t0 + std::chrono::milliseconds(600)), 0);
  EXPECT_EQ(rl.acquire(1, t0 + std::chrono::seconds(100)), 0);  // refilled, capped at burst
  EXPECT_EQ(rl.acquire(1, t0 + std::chrono::seconds(100)), 0);
  EXPECT_EQ(rl.acquire(1, t0 + std::chrono::seconds(100)), 0);
  EXPECT_GT(rl.acquire(1, t0 + std::chrono::seconds(100)), 0);
}

TEST(Config, FileKeysAndErrors) {
  const std::string dir = testing::scratch_dir();
  auto write = [&](const std::string& text) {
    std::ofstream(dir + "/c.json") << text;
    return dir + "/c.json";
  };
  ServerConfig c;
  ASSERT_TRUE(load_config_file(write(R"({"port": 9000, "host": "0.0.0.0", "rate_per_s": 5, "max_batch": 10})"), c));
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.max_batch, 10u);
  auto unknown = load_config_file(write(R"({"prot": 1})"), c);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("prot"), std::string::npos);
  EXPECT_FALSE(load_config_file(write(R"({"port": "x"})"), c));
  EXPECT_FALSE(load_config_file(write(R"({"port": 70000})"), c));
  EXPECT_FALSE(load_config_file(write("{"), c));
  EXPECT_FALSE(load_config_file(dir + "/missing.json", c));
  c.db_path = "x";
  EXPECT_TRUE(validate_config(c));
  c.tls_cert = "cert.pem";
  EXPECT_FALSE(validate_config(c));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crema::server
