// Opening files that are not (healthy) crema stores: each gives a clear error, never a crash.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "crema/store/store.h"
#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::ScratchDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Runs SQL on the file directly, as another program would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

// A closed store holding n posts.
void make_store(const std::string& path, int n) {
  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->begin_run({"test", {"in.jsonl"}, "{}"});
  ASSERT_TRUE(run);
  std::vector<ProcessedPost> posts;
  for (int i = 0; i < n; ++i) {
    ProcessedPost p = make_post("post-" + std::to_string(i), Label::kRequest, 1000 + i, std::vector<float>(100, 0.1f));
    p.post.text = std::string(300, static_cast<char>('a' + i % 26));
    posts.push_back(std::move(p));
  }
  ASSERT_TRUE((*store)->write_batch(*run, posts, {}, {"in.jsonl", 1, 1}));
}

TEST(StoreOpen, RandomBytesAreNotAStore) {
  ScratchDir dir;
  for (uint32_t seed : {1u, 2u, 3u}) {
    const std::string path = dir.file("random" + std::to_string(seed));
    write_bytes(path, random_bytes(4096 * seed, seed));
    auto store = Store::open(path);
    ASSERT_FALSE(store) << seed;
    EXPECT_EQ(store.error().code, ErrorCode::kCorrupt) << store.error().message;
    EXPECT_NE(store.error().message.find("not a crema store"), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  }
}

TEST(StoreOpen, SqliteMagicFollowedByGarbage) {
  ScratchDir dir;
  const std::string path = dir.file("fake.sqlite");
  write_bytes(path, std::string("SQLite format 3", 16) + random_bytes(8192, 7));
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt) << store.error().message;
}

TEST(StoreOpen, ShortTextFileIsNotAStore) {
  ScratchDir dir;
  const std::string path = dir.file("notes.txt");
  write_bytes(path, "hello, this is not a database\n");
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt) << store.error().message;
}

TEST(StoreOpen, EmptyFileBecomesANewStore) {
  // A zero-byte file holds nothing to lose; SQLite treats it as an empty database.
  ScratchDir dir;
  const std::string path = dir.file("empty.sqlite");
  write_bytes(path, "");
  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schema_version(), kSchemaVersion);
  auto run = (*store)->begin_run({"test", {}, "{}"});
  ASSERT_TRUE(run);
  EXPECT_TRUE((*store)->write_batch(*run, std::vector<ProcessedPost>{make_post("a", Label::kOffer)}, {}, {"x", 1, 1}));
  EXPECT_EQ((*store)->counts()->posts, 1u);
}

TEST(StoreOpen, OtherApplicationsDatabaseIsRefusedUntouched) {
  ScratchDir dir;
  const std::string path = dir.file("other.sqlite");
  raw_exec(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');");
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(store.error().message.find("another application"), std::string::npos) << store.error().message;
  // Refusing did not convert it to WAL or add tables.
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(StoreOpen, OtherApplicationIdIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("other-id.sqlite");
  raw_exec(path, "PRAGMA application_id = 1234; PRAGMA user_version = 1; CREATE TABLE posts (id TEXT);");
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(store.error().message.find("1234"), std::string::npos) << store.error().message;
}

TEST(StoreOpen, NewerSchemaIsUnsupported) {
  ScratchDir dir;
  const std::string path = dir.file("newer.sqlite");
  make_store(path, 1);
  raw_exec(path, "PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(store.error().message.find("newer crema"), std::string::npos) << store.error().message;
}

TEST(StoreOpen, MissingVersionOrTableIsDamage) {
  ScratchDir dir;
  const std::string unversioned = dir.file("v0.sqlite");
  make_store(unversioned, 1);
  raw_exec(unversioned, "PRAGMA user_version = 0");
  auto a = Store::open(unversioned);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kCorrupt) << a.error().message;

  const std::string dropped = dir.file("dropped.sqlite");
  make_store(dropped, 1);
  raw_exec(dropped, "DROP TABLE matches");
  auto b = Store::open(dropped);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(b.error().message.find("'matches' is missing"), std::string::npos) << b.error().message;
}

TEST(StoreOpen, TruncatedStoreIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("truncated.sqlite");
  make_store(path, 2000);
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 100000u);
  std::filesystem::resize_file(path, size / 2);
  // The header's page count no longer matches the file: SQLite refuses the first read.
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt) << store.error().message;
  EXPECT_NE(store.error().message.find("malformed"), std::string::npos) << store.error().message;
}

TEST(StoreOpen, ScribbledPagesAreFoundByTheIntegrityCheck) {
  ScratchDir dir;
  const std::string path = dir.file("scribbled.sqlite");
  make_store(path, 2000);
  const auto size = std::filesystem::file_size(path);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(size / 2));
    const std::string garbage = random_bytes(16384, 99);
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto store = Store::open(path);  // page 1 is intact, so this may well succeed
  if (!store) {
    EXPECT_EQ(store.error().code, ErrorCode::kCorrupt) << store.error().message;
    return;
  }
  auto integrity = (*store)->check_integrity();
  ASSERT_FALSE(integrity);
  EXPECT_EQ(integrity.error().code, ErrorCode::kCorrupt) << integrity.error().message;
  // Reads over the damage fail cleanly or return what survives; none crashes.
  auto rows = (*store)->load_for_matching(Label::kRequest);
  if (!rows) {
    EXPECT_EQ(rows.error().code, ErrorCode::kCorrupt) << rows.error().message;
  }
  auto exported = (*store)->export_posts_jsonl(dir.file("posts.jsonl"));
  if (!exported) {
    EXPECT_EQ(exported.error().code, ErrorCode::kCorrupt) << exported.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir.file("posts.jsonl")));
  }
}

TEST(StoreOpen, TamperedEmbeddingIsCorrupt) {
  ScratchDir dir;
  const std::string path = dir.file("tampered.sqlite");
  make_store(path, 3);
  raw_exec(path, "UPDATE embeddings SET vector = x'0000803f00' WHERE post_seq = 2");
  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().message;
  auto rows = (*store)->load_for_matching(Label::kRequest);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(rows.error().message.find("post-1"), std::string::npos) << rows.error().message;
}

TEST(StoreOpen, DirectoryIsNotAStore) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.file("adir"));
  auto store = Store::open(dir.file("adir"));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIoError) << store.error().message;
}

}  // namespace
}  // namespace crema::store
