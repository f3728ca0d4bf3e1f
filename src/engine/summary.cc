// JSON and table renderings of the engine's summaries.
#include <cstdio>

#include "crema/common/json_writer.h"
#include "crema/engine.h"

namespace crema::engine {

std::string RunSummary::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("read").value(read).key("rejected").value(rejected).key("inserted").value(inserted);
  w.key("existing").value(existing).key("duplicates").value(duplicates);
  w.key("prefilter_dropped").value(prefilter_dropped);
  w.key("requests").value(requests).key("offers").value(offers);
  w.key("request_and_offer").value(request_and_offer).key("irrelevant").value(irrelevant);
  w.key("match").begin_object();
  w.key("requests").value(match_requests).key("offers").value(match_offers);
  w.key("unlocated_requests").value(unlocated_requests);
  w.key("matched_requests").value(matched_requests).key("matches").value(matches);
  w.end_object();
  w.key("encoder").value(encoder);
  w.key("seconds").begin_object();
  w.key("total").value(seconds).key("ingest").value(ingest_seconds);
  w.key("label").value(label_seconds).key("embed").value(embed_seconds).key("store").value(store_seconds);
  w.key("match").value(match_seconds).key("export").value(export_seconds).end_object();
  w.key("outputs").begin_object();
  w.key("db").value(db_path).key("rejects").value(rejects_path);
  w.key("posts_jsonl").value(posts_jsonl).key("posts_csv").value(posts_csv);
  w.key("matches_jsonl").value(matches_jsonl).key("matches_csv").value(matches_csv);
  w.end_object();
  w.end_object();
  return w.take();
}

std::string RunSummary::to_table() const {
  std::string out;
  char line[160];
  auto row = [&](const char* name, uint64_t value) {
    std::snprintf(line, sizeof line, "  %-28s %12llu\n", name, static_cast<unsigned long long>(value));
    out += line;
  };
  out += "crema run summary\n";
  row("posts read", read);
  row("rejected (rejects.jsonl)", rejected);
  row("new posts stored", inserted);
  row("already stored (same id)", existing);
  row("near-duplicates (linked)", duplicates);
  if (prefilter_dropped > 0) row("dropped by prefilter", prefilter_dropped);
  row("requests", requests);
  row("offers", offers);
  row("request_and_offer", request_and_offer);
  row("irrelevant", irrelevant);
  row("requests matched (store)", matched_requests);
  row("matches (store)", matches);
  row("requests without location", unlocated_requests);
  const double rate = seconds > 0 ? static_cast<double>(read) / seconds : 0;
  std::snprintf(line, sizeof line, "  %-28s %12.2f  (%.0f posts/s, encoder %s)\n", "seconds", seconds, rate,
                encoder.c_str());
  out += line;
  out += "results:\n";
  out += "  database      " + db_path + "\n";
  out += "  posts         " + posts_jsonl + "  " + posts_csv + "\n";
  out += "  matches       " + matches_jsonl + "  " + matches_csv + "\n";
  out += "  rejects       " + rejects_path + "\n";
  return out;
}

std::string ClassifySummary::to_json() const {
  JsonWriter w;
  w.begin_object().key("read").value(read).key("rejected").value(rejected);
  w.key("classified").value(classified).key("requests").value(requests).key("offers").value(offers);
  w.key("request_and_offer").value(request_and_offer).key("irrelevant").value(irrelevant);
  w.key("seconds").value(seconds).end_object();
  return w.take();
}

std::string MatchJobSummary::to_json() const {
  JsonWriter w;
  w.begin_object().key("read").value(read).key("rejected").value(rejected);
  w.key("requests").value(requests).key("offers").value(offers).key("classified").value(classified);
  w.key("repeated_ids").value(repeated_ids);
  w.key("unlocated_requests").value(unlocated_requests);
  w.key("matched_requests").value(matched_requests).key("matches").value(matches);
  w.key("seconds").value(seconds).end_object();
  return w.take();
}

namespace {
std::string u64(uint64_t v) { return std::to_string(v); }
}  // namespace

std::string ClassifySummary::to_text() const {
  return "classified " + u64(classified) + " posts (" + u64(rejected) + " rejected): " + u64(requests) +
         " requests, " + u64(offers) + " offers, " + u64(request_and_offer) + " both, " + u64(irrelevant) +
         " irrelevant";
}

std::string MatchJobSummary::to_text() const {
  return u64(requests) + " requests, " + u64(offers) + " offers (" + u64(classified) + " classified, " +
         u64(rejected) + " rejected, " + u64(repeated_ids) + " repeated ids); " + u64(matched_requests) +
         " requests matched, " + u64(unlocated_requests) + " without location";
}

}  // namespace crema::engine
