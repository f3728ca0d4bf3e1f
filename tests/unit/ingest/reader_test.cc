// Tests of PostReader: JSONL/CSV/TSV files, stdin, resume, and hostile inputs.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crema/ingest/reader.h"

namespace crema::ingest {
namespace {

namespace fs = std::filesystem;

std::string write_temp(const std::string& name, const std::string& content) {
  static std::atomic<int> counter{0};
  const fs::path dir = fs::temp_directory_path() / ("crema_ingest_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / (std::to_string(counter++) + "_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

std::vector<PostReader::Record> read_all(PostReader& reader) {
  std::vector<PostReader::Record> out;
  PostReader::Record rec;
  while (true) {
    auto more = reader.next(rec);
    EXPECT_TRUE(more.has_value()) << (more ? "" : more.error().message);
    if (!more || !*more) break;
    EXPECT_NE(rec.post.has_value(), rec.reject.has_value());
    out.push_back(rec);
  }
  return out;
}

std::vector<PostReader::Record> read_file(const std::string& path, const ReaderOptions& options = {}) {
  auto reader = PostReader::open(path, options);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return {};
  return read_all(**reader);
}

std::string jl(const std::string& id, const std::string& text) {
  return R"({"id":")" + id + R"(","text":")" + text + R"(","created_at":"2015-04-26T10:00:00Z"})";
}

TEST(PostReaderJsonl, ReadsRecordsSkipsBlankLinesAndCountsLines) {
  const std::string path = write_temp("a.jsonl", jl("1", "one") + "\n\n   \n" + jl("2", "two") + "\n" + jl("3", "three"));
  const auto recs = read_file(path);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].post->id, "1");
  EXPECT_EQ(recs[0].post->source.line, 1u);
  EXPECT_EQ(recs[0].post->source.file, path);
  EXPECT_EQ(recs[1].post->id, "2");
  EXPECT_EQ(recs[1].post->source.line, 4u);
  EXPECT_EQ(recs[2].post->text, "three");  // last line without a newline
  EXPECT_EQ(recs[2].post->source.line, 5u);
}

TEST(PostReaderJsonl, StripsBomAndAcceptsCrlf) {
  const std::string path = write_temp("bom.jsonl", "\xEF\xBB\xBF" + jl("1", "one") + "\r\n" + jl("2", "two") + "\r\n");
  const auto recs = read_file(path);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(recs[0].post.has_value()) << recs[0].reject->reason;
  EXPECT_EQ(recs[0].post->id, "1");
  EXPECT_EQ(recs[1].post->text, "two");
}

TEST(PostReaderJsonl, SizeAndPosition) {
  const std::string a = jl("1", "one") + "\n";
  const std::string path = write_temp("p.jsonl", a + jl("2", "two") + "\n");
  auto reader = PostReader::open(path);
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->size_bytes(), fs::file_size(path));
  PostReader::Record rec;
  ASSERT_TRUE(*(*reader)->next(rec));
  EXPECT_EQ((*reader)->position(), a.size());
  EXPECT_EQ((*reader)->line(), 1u);
}

TEST(PostReaderJsonl, HostileInputsBecomeRejectsAndReadingContinues) {
  std::string content;
  content += R"({"id":"t1","text":"trunc)" "\n";                                         // line 1
  content += "{\"id\":\"u1\",\"text\":\"bad \xFF utf8\",\"created_at\":\"2015-01-01\"}\n";  // line 2
  static constexpr char kNul[] = "{\"id\":\"n1\",\"text\":\"a\0b\"}\n";
  content += std::string(kNul, sizeof kNul - 1);                                          // line 3
  content += std::string(10 * 1024 * 1024, 'x') + "\n";                                  // line 4
  content += R"({"id":"w1","text":["list"],"created_at":"2015-01-01"})" "\n";           // line 5
  content += R"({"id":"c1","text":"t","created_at":"2015-01-01","lat":100,"lon":0})" "\n";  // line 6
  content += R"({"id":"c2","text":"t","created_at":"2015-01-01","lat":"1","lon":"x"})" "\n";  // line 7
  content += R"("just a string")" "\n";                                                  // line 8
  content += jl("ok", "fine") + "\n";                                                     // line 9
  const std::string path = write_temp("hostile.jsonl", content);
  const auto recs = read_file(path);
  ASSERT_EQ(recs.size(), 9u);
  for (size_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(recs[i].reject.has_value()) << "record " << i;
    EXPECT_EQ(recs[i].reject->source.line, i + 1);
    EXPECT_EQ(recs[i].reject->source.file, path);
    EXPECT_LE(recs[i].reject->excerpt.size(), 200u);
  }
  EXPECT_EQ(recs[0].reject->reason, "invalid JSON at byte 18: unclosed string");
  EXPECT_EQ(recs[1].reject->reason, "invalid UTF-8 at byte 23");
  EXPECT_EQ(recs[1].reject->excerpt.find('\xFF'), std::string::npos);  // excerpt repaired
  EXPECT_NE(recs[1].reject->excerpt.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(recs[2].reject->reason, "NUL byte at byte 20");
  EXPECT_EQ(recs[3].reject->reason, "line too long: 10485760 bytes exceeds max_record_bytes (1048576)");
  EXPECT_EQ(recs[3].reject->excerpt, std::string(200, 'x'));
  EXPECT_EQ(recs[4].reject->reason, "text must be a string, got an array");
  EXPECT_EQ(recs[4].reject->id, "w1");
  EXPECT_EQ(recs[5].reject->reason, "lat 100 out of range [-90, 90]");
  EXPECT_EQ(recs[5].reject->id, "c1");
  EXPECT_EQ(recs[6].reject->reason, "lon is not a number: 'x'");
  EXPECT_EQ(recs[7].reject->reason, "not a JSON object (got a string)");
  ASSERT_TRUE(recs[8].post.has_value());
  EXPECT_EQ(recs[8].post->id, "ok");
  EXPECT_EQ(recs[8].post->source.line, 9u);
}

TEST(PostReaderJsonl, LongLineAtEndOfFileAndSmallLimit) {
  ReaderOptions options;
  options.max_record_bytes = 100;
  const std::string path = write_temp("long.jsonl", jl("1", "one") + "\n" + std::string(5000, 'y'));
  const auto recs = read_file(path, options);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[0].post.has_value());
  ASSERT_TRUE(recs[1].reject.has_value());
  EXPECT_EQ(recs[1].reject->reason, "line too long: 5000 bytes exceeds max_record_bytes (100)");
  EXPECT_EQ(recs[1].reject->source.line, 2u);
}

TEST(PostReaderJsonl, ManyRecordsAcrossBufferRefills) {
  std::string content;
  for (int i = 0; i < 30000; ++i) content += jl(std::to_string(i), "post number " + std::to_string(i)) + "\n";
  ASSERT_GT(content.size(), 2u << 20);  // several 1 MiB chunks
  const auto recs = read_file(write_temp("many.jsonl", content));
  ASSERT_EQ(recs.size(), 30000u);
  for (int i = 0; i < 30000; ++i) {
    ASSERT_TRUE(recs[static_cast<size_t>(i)].post.has_value());
    ASSERT_EQ(recs[static_cast<size_t>(i)].post->id, std::to_string(i));
    ASSERT_EQ(recs[static_cast<size_t>(i)].post->source.line, static_cast<uint64_t>(i + 1));
  }
}

TEST(PostReaderJsonl, RequireTimeOption) {
  const std::string path = write_temp("notime.jsonl", R"({"id":"1","text":"t"})" "\n");
  auto strict = read_file(path);
  ASSERT_EQ(strict.size(), 1u);
  ASSERT_TRUE(strict[0].reject.has_value());
  EXPECT_EQ(strict[0].reject->reason, "missing created_at");
  ReaderOptions lax;
  lax.require_time = false;
  auto recs = read_file(path, lax);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].post.has_value());
  EXPECT_EQ(recs[0].post->created_at_ms, 0);
}

// Reads 3 records, reopens, seeks to the saved position and reads on: the same records.
void check_resume(const std::string& path, const ReaderOptions& options) {
  const auto all = read_file(path, options);
  ASSERT_GE(all.size(), 5u);
  auto first = PostReader::open(path, options);
  ASSERT_TRUE(first.has_value());
  PostReader::Record rec;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(*(*first)->next(rec));
  const uint64_t pos = (*first)->position();
  const uint64_t line = (*first)->line();
  auto second = PostReader::open(path, options);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE((*second)->seek(pos, line).has_value());
  const auto rest = read_all(**second);
  ASSERT_EQ(rest.size(), all.size() - 3);
  for (size_t i = 0; i < rest.size(); ++i) {
    const auto& a = all[i + 3];
    const auto& b = rest[i];
    ASSERT_EQ(a.post.has_value(), b.post.has_value());
    if (a.post) {
      EXPECT_EQ(a.post->id, b.post->id);
      EXPECT_EQ(a.post->text, b.post->text);
      EXPECT_EQ(a.post->source.line, b.post->source.line);
    } else {
      EXPECT_EQ(a.reject->reason, b.reject->reason);
      EXPECT_EQ(a.reject->source.line, b.reject->source.line);
    }
  }
}

TEST(PostReaderResume, JsonlSeekContinuesWithTheSameRecords) {
  std::string content = "\xEF\xBB\xBF";
  for (int i = 0; i < 8; ++i) content += jl(std::to_string(i), "t" + std::to_string(i)) + (i == 4 ? "\n\n{bad\n" : "\n");
  check_resume(write_temp("resume.jsonl", content), {});
}

TEST(PostReaderResume, CsvSeekContinuesWithTheSameRecords) {
  std::string content = "id,text,created_at\n";
  for (int i = 0; i < 8; ++i) content += std::to_string(i) + ",\"multi\nline " + std::to_string(i) + "\",2015-01-01\n";
  check_resume(write_temp("resume.csv", content), {});
  // Seeking to 0 (before the header) starts at the first data row.
  auto reader = PostReader::open(write_temp("resume2.csv", content));
  ASSERT_TRUE(reader.has_value());
  ASSERT_TRUE((*reader)->seek(0, 0).has_value());
  PostReader::Record rec;
  ASSERT_TRUE(*(*reader)->next(rec));
  ASSERT_TRUE(rec.post.has_value());
  EXPECT_EQ(rec.post->id, "0");
  EXPECT_EQ(rec.post->source.line, 2u);
}

TEST(PostReaderCsv, QuotingEmbeddedNewlinesAndLineNumbers) {
  const std::string content =
      "id,text,created_at,lat,lon,kind\r\n"
      "1,\"hello, world\",2015-04-26T10:00:00Z,27.7,85.3,offer\r\n"
      "2,\"she said \"\"help\"\"\",2015-04-26,,,\r\n"
      "3,\"two\nlines\",2015-04-26,,,request\r\n"
      "4,plain,1430042400,,,\r\n";
  const auto recs = read_file(write_temp("q.csv", content));
  ASSERT_EQ(recs.size(), 4u);
  for (const auto& r : recs) ASSERT_TRUE(r.post.has_value()) << r.reject->reason;
  EXPECT_EQ(recs[0].post->text, "hello, world");
  ASSERT_TRUE(recs[0].post->geo.has_value());
  EXPECT_DOUBLE_EQ(recs[0].post->geo->lat, 27.7);
  EXPECT_EQ(recs[0].post->kind, Label::kOffer);
  EXPECT_EQ(recs[1].post->text, "she said \"help\"");
  EXPECT_FALSE(recs[1].post->geo.has_value());
  EXPECT_EQ(recs[2].post->text, "two\nlines");
  EXPECT_EQ(recs[2].post->source.line, 4u);
  EXPECT_EQ(recs[3].post->source.line, 6u);  // record 3 spans lines 4-5
  EXPECT_EQ(recs[3].post->created_at_ms, 1430042400000);
}

TEST(PostReaderCsv, RaggedRowsAndBadQuotingAreRejects) {
  const std::string content =
      "id,text,created_at\n"
      "1,only two\n"
      "2,a,2015-01-01,extra\n"
      "3,\"closed\"junk,2015-01-01\n"
      "4,fine,2015-01-01\n"
      "5,\"never closed,2015-01-01\n";
  const auto recs = read_file(write_temp("ragged.csv", content));
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].reject->reason, "row has 2 fields, header has 3");
  EXPECT_EQ(recs[0].reject->id, "1");
  EXPECT_EQ(recs[0].reject->source.line, 2u);
  EXPECT_EQ(recs[1].reject->reason, "row has 4 fields, header has 3");
  EXPECT_EQ(recs[2].reject->reason, "unexpected character after the closing quote of field 2");
  ASSERT_TRUE(recs[3].post.has_value());
  EXPECT_EQ(recs[3].post->text, "fine");
  EXPECT_EQ(recs[4].reject->reason, "unterminated quoted field 2");
  EXPECT_EQ(recs[4].reject->source.line, 6u);
}

TEST(PostReaderCsv, MissingColumnIsAnOpenError) {
  const std::string path = write_temp("nocol.csv", "tweet_id,message\n1,hi\n");
  auto reader = PostReader::open(path);
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(reader.error().message.find("no column 'id' for id"), std::string::npos) << reader.error().message;
  EXPECT_NE(reader.error().message.find("(columns: tweet_id, message)"), std::string::npos);
}

TEST(PostReaderCsv, ColumnMapping) {
  const std::string path = write_temp(
      "map.csv", "event, tweet id ,tweet,date,label\nnepal,'99',need food,2015-04-26,Request\n");
  ReaderOptions options;
  options.columns = *parse_column_map("id=tweet id,text=tweet,created_at=date,kind=label");
  const auto recs = read_file(path, options);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].post.has_value()) << recs[0].reject->reason;
  EXPECT_EQ(recs[0].post->id, "'99'");
  EXPECT_EQ(recs[0].post->text, "need food");
  EXPECT_EQ(recs[0].post->kind, Label::kRequest);
  // A column named explicitly must exist.
  options.columns = *parse_column_map("id=tweet id,text=tweet,created_at=when");
  auto reader = PostReader::open(path, options);
  ASSERT_FALSE(reader.has_value());
  EXPECT_NE(reader.error().message.find("no column 'when' for created_at"), std::string::npos);
}

TEST(PostReaderCsv, EmptyFileAndGzipAreOpenErrors) {
  EXPECT_FALSE(PostReader::open(write_temp("empty.csv", "")).has_value());
  auto gz = PostReader::open(write_temp("x.jsonl", std::string("\x1F\x8B\x08\x00", 4)));
  ASSERT_FALSE(gz.has_value());
  EXPECT_NE(gz.error().message.find("gzip"), std::string::npos);
  auto missing = PostReader::open("/nonexistent/dir/file.jsonl");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(PostReaderCsv, LongRecordIsSkippedWithQuotesTracked) {
  ReaderOptions options;
  options.max_record_bytes = 64;
  const std::string content = "id,text,created_at\n1,\"" + std::string(300, 'a') + "\n" + std::string(300, 'b') +
                              "\",2015-01-01\n2,ok,2015-01-01\n";
  const auto recs = read_file(write_temp("long.csv", content), options);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(recs[0].reject.has_value());
  EXPECT_NE(recs[0].reject->reason.find("record too long"), std::string::npos);
  ASSERT_TRUE(recs[1].post.has_value());
  EXPECT_EQ(recs[1].post->id, "2");
  EXPECT_EQ(recs[1].post->source.line, 4u);
}

TEST(PostReaderTsv, TabSeparatedWithoutQuoting) {
  const std::string content =
      "id\ttext\tcreated_at\tuser\n"
      "1\t\"quoted\" stays, as is\t2015-04-26\tbob\n"
      "2\tsecond\t2015-04-26\n";
  const auto recs = read_file(write_temp("t.tsv", content));
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(recs[0].post.has_value());
  EXPECT_EQ(recs[0].post->text, "\"quoted\" stays, as is");
  EXPECT_EQ(recs[0].post->user, "bob");
  EXPECT_EQ(recs[1].reject->reason, "row has 3 fields, header has 4");
}

TEST(PostReaderCsv, FormatOptionOverridesExtension) {
  ReaderOptions options;
  options.format = Format::kCsv;
  const auto recs = read_file(write_temp("data.txt", "id,text,created_at\n1,x,2015-01-01\n"), options);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].post.has_value());
}

// Runs body with fd 0 replaced by fd.
template <typename F>
void with_stdin(int fd, F body) {
  const int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(::dup2(fd, STDIN_FILENO), 0);
  body();
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
}

TEST(PostReaderStdin, ReadsFromAFileOnStdin) {
  const std::string path = write_temp("stdin.jsonl", jl("1", "a") + "\n" + jl("2", "b") + "\n");
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  with_stdin(fd, [] {
    const auto recs = read_file("-");
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[1].post->id, "2");
    EXPECT_EQ(recs[1].post->source.file, "-");
  });
  ::close(fd);
}

TEST(PostReaderStdin, ReadsFromAPipeAndCannotSeekBack) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string data = "\xEF\xBB\xBF" + jl("1", "a") + "\n" + jl("2", "b") + "\n" + jl("3", "c") + "\n";
  ASSERT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fds[1]);
  with_stdin(fds[0], [&] {
    auto reader = PostReader::open("-");
    ASSERT_TRUE(reader.has_value());
    EXPECT_EQ((*reader)->size_bytes(), 0u);
    PostReader::Record rec;
    ASSERT_TRUE(*(*reader)->next(rec));
    EXPECT_EQ(rec.post->id, "1");
    EXPECT_FALSE((*reader)->seek(0, 0).has_value());
    // Forward seeks on a pipe read ahead.
    const uint64_t third = data.size() - jl("3", "c").size() - 1;
    ASSERT_TRUE((*reader)->seek(third, 2).has_value());
    ASSERT_TRUE(*(*reader)->next(rec));
    EXPECT_EQ(rec.post->id, "3");
    EXPECT_EQ(rec.post->source.line, 3u);
  });
  ::close(fds[0]);
}

}  // namespace
}  // namespace crema::ingest
