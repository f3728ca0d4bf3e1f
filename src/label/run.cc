// `crema label`: posts x endpoints -> answers.jsonl (append-only, resumable) -> unanimous
// labels, disputes, the validation sample and the report.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/ingest/reader.h"
#include "crema/label/label.h"

namespace crema::label {
namespace {

struct InputPost {
  std::string id, text, lang;
};

// Calls fn(line_no, line) for every non-blank line; stops at the first failing call.
template <typename Fn>
Status for_each_line(std::string_view contents, Fn fn) {
  size_t line_no = 0;
  while (!contents.empty()) {
    ++line_no;
    const size_t nl = contents.find('\n');
    std::string_view line = contents.substr(0, nl);
    contents = nl == std::string_view::npos ? std::string_view() : contents.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (auto st = fn(line_no, line); !st) return st;
  }
  return {};
}

std::string file_error(const std::string& path, size_t line_no, const std::string& why) {
  return path + ":" + std::to_string(line_no) + ": " + why;
}

// The "id" field as a string (JSON numbers accepted); empty when absent.
std::string read_id(simdjson::dom::object& obj) {
  simdjson::dom::element el;
  if (obj["id"].get(el) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (el.get(s) == simdjson::SUCCESS) return std::string(s);
  if (el.is_int64() || el.is_uint64()) return simdjson::to_string(el);
  return {};
}

std::string_view optional_string(simdjson::dom::object& obj, const char* key) {
  std::string_view s;
  if (obj[key].get(s) != simdjson::SUCCESS) return {};
  return s;
}

Result<std::vector<InputPost>> read_posts(const LabelOptions& options, std::string& rejects, int64_t& rejected) {
  ingest::ReaderOptions reader_options;
  reader_options.require_time = false;
  auto reader = ingest::PostReader::open(options.in_path, reader_options);
  if (!reader) return tl::unexpected(reader.error());
  std::vector<InputPost> posts;
  std::unordered_set<std::string> seen;
  ingest::PostReader::Record record;
  while (options.limit <= 0 || static_cast<int64_t>(posts.size()) < options.limit) {
    record = {};
    auto more = (*reader)->next(record);
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    if (record.reject) {
      rejects += ingest::reject_to_json(*record.reject) + "\n";
      ++rejected;
      continue;
    }
    Post& post = *record.post;
    if (!seen.insert(post.id).second) {
      ingest::Reject dup{post.source, post.id, "duplicate id (the first record with this id is labelled)",
                         post.text.substr(0, 200)};
      rejects += ingest::reject_to_json(dup) + "\n";
      ++rejected;
      continue;
    }
    posts.push_back(InputPost{std::move(post.id), std::move(post.text), std::move(post.lang)});
  }
  return posts;
}

std::string answer_line(const std::string& id, const std::string& endpoint, const Answer& a) {
  JsonWriter w;
  w.begin_object().key("id").value(id).key("endpoint").value(endpoint);
  w.key("status").value(answer_status_name(a.status));
  if (a.status == AnswerStatus::kValid) {
    w.key("label").value(label_name(a.label));
    w.key("resources").begin_array();
    for (const auto& r : a.resources) w.value(r);
    w.end_array();
  } else {
    w.key("reason").value(a.reason);
  }
  w.key("attempts").value(a.attempts);
  w.key("raw").value(a.raw);
  w.end_object();
  return w.take();
}

// answers.jsonl of earlier runs: the last answer per (post id, endpoint) of this run's
// endpoints. Unreadable lines (a run killed mid-write) are counted and skipped.
using AnswerMap = std::vector<std::unordered_map<std::string, Answer>>;  // [endpoint][post id]

Status load_answers(const std::string& path, const std::vector<std::string>& keys, AnswerMap& answers,
                    int64_t& unreadable, bool& ends_in_newline) {
  ends_in_newline = true;
  if (!std::filesystem::exists(path)) return {};
  auto contents = read_file(path);
  if (!contents) return tl::unexpected(contents.error());
  ends_in_newline = contents->empty() || contents->back() == '\n';
  simdjson::dom::parser parser;
  return for_each_line(*contents, [&](size_t, std::string_view line) -> Status {
    simdjson::dom::object obj;
    if (parser.parse(line.data(), line.size()).get(obj) != simdjson::SUCCESS) {
      ++unreadable;
      return {};
    }
    const std::string id = read_id(obj);
    const std::string_view endpoint = optional_string(obj, "endpoint");
    const std::string_view status = optional_string(obj, "status");
    const auto which = std::find(keys.begin(), keys.end(), endpoint);
    if (id.empty() || which == keys.end()) {
      if (id.empty()) ++unreadable;
      return {};  // another endpoint's answer: kept in the file, unused by this run
    }
    Answer a;
    a.raw = std::string(optional_string(obj, "raw"));
    a.reason = std::string(optional_string(obj, "reason"));
    int64_t attempts = 0;
    if (obj["attempts"].get(attempts) == simdjson::SUCCESS) a.attempts = static_cast<int>(attempts);
    if (status == "valid") {
      const auto label = parse_label(optional_string(obj, "label"));
      if (!label || *label == Label::kUnknown) {
        ++unreadable;
        return {};
      }
      a.status = AnswerStatus::kValid;
      a.label = *label;
      simdjson::dom::array resources;
      if (obj["resources"].get(resources) == simdjson::SUCCESS) {
        for (simdjson::dom::element r : resources) {
          std::string_view name;
          if (r.get(name) == simdjson::SUCCESS) a.resources.emplace_back(name);
        }
      }
    } else if (status == "invalid") {
      a.status = AnswerStatus::kInvalid;
    } else if (status == "error") {
      a.status = AnswerStatus::kError;
    } else {
      ++unreadable;
      return {};
    }
    answers[static_cast<size_t>(which - keys.begin())][id] = std::move(a);
    return {};
  });
}

std::vector<std::string> kept_resources(const std::vector<const Answer*>& answers) {
  std::vector<std::string> out;
  for (const auto name : kResourceNames) {
    const bool all = std::all_of(answers.begin(), answers.end(), [&](const Answer* a) {
      return std::find(a->resources.begin(), a->resources.end(), name) != a->resources.end();
    });
    if (all) out.emplace_back(name);
  }
  if (!out.empty()) return out;
  for (const auto name : kResourceNames) {  // no common resource: the union (as merge_label_passes.py)
    const bool any = std::any_of(answers.begin(), answers.end(), [&](const Answer* a) {
      return std::find(a->resources.begin(), a->resources.end(), name) != a->resources.end();
    });
    if (any) out.emplace_back(name);
  }
  return out;
}

void write_resources(JsonWriter& w, const std::vector<std::string>& resources) {
  w.begin_array();
  for (const auto& r : resources) w.value(r);
  w.end_array();
}

std::string source_name(const std::string& in_path) {
  if (in_path == "-") return "stdin";
  return std::filesystem::path(in_path).filename().string();
}

void write_agreement_json(JsonWriter& w, const Agreement& a) {
  w.begin_object();
  w.key("n").value(a.n).key("raw_agreement").value(a.raw).key("kappa").value(a.kappa);
  w.key("kappa_per_class").begin_object();
  for (size_t c = 0; c < kNumLabels; ++c) w.key(label_name(static_cast<Label>(c))).value(a.kappa_per_class[c]);
  w.end_object();
  w.key("confusion").begin_array();
  for (const auto& row : a.confusion) {
    w.begin_array();
    for (const int64_t v : row) w.value(v);
    w.end_array();
  }
  w.end_array();
  w.end_object();
}

std::string fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Result<LabelSummary> run_labelling(const LabelOptions& options) {
  if (options.endpoints.empty()) return make_error(ErrorCode::kInvalidArgument, "no endpoint given (--endpoint URL)");
  if (options.out_dir.empty()) return make_error(ErrorCode::kInvalidArgument, "no output directory given (--out DIR)");
  // Checks the sample options before any request is made.
  if (auto st = sample_size(1, options.margin, options.confidence); !st) return tl::unexpected(st.error());
  std::vector<std::string> keys;
  for (const auto& endpoint : options.endpoints) {
    auto probe = ChatClient::create(endpoint, options.client);
    if (!probe) return tl::unexpected(probe.error());
    keys.push_back(endpoint_key(endpoint));
    if (std::count(keys.begin(), keys.end(), keys.back()) > 1) {
      return make_error(ErrorCode::kInvalidArgument, "endpoint '" + keys.back() + "' is given twice");
    }
  }
  if (auto st = ensure_directory(options.out_dir); !st) return tl::unexpected(st.error());
  const std::filesystem::path dir(options.out_dir);

  LabelSummary summary;
  summary.out_dir = options.out_dir;
  std::string rejects;
  auto posts = read_posts(options, rejects, summary.rejected);
  if (!posts) return tl::unexpected(posts.error());
  summary.posts = static_cast<int64_t>(posts->size());
  if (auto st = write_file_atomic((dir / "rejects.jsonl").string(), rejects); !st) return tl::unexpected(st.error());

  const std::string answers_path = (dir / "answers.jsonl").string();
  AnswerMap answers(keys.size());
  int64_t unreadable = 0;
  bool ends_in_newline = true;
  if (auto st = load_answers(answers_path, keys, answers, unreadable, ends_in_newline); !st) {
    return tl::unexpected(st.error());
  }
  summary.unreadable_answers = unreadable;

  struct Work {
    size_t post, endpoint;
  };
  std::vector<Work> work;
  for (size_t p = 0; p < posts->size(); ++p) {
    for (size_t e = 0; e < keys.size(); ++e) {
      const auto it = answers[e].find((*posts)[p].id);
      const bool answered = it != answers[e].end() &&
                            (it->second.status == AnswerStatus::kValid ||
                             (it->second.status == AnswerStatus::kInvalid && !options.retry_invalid));
      if (answered) {
        ++summary.resumed;
      } else {
        work.push_back(Work{p, e});
      }
    }
  }

  std::vector<EndpointStats> stats(keys.size());
  for (size_t e = 0; e < keys.size(); ++e) stats[e].key = keys[e];
  if (!work.empty()) {
    std::FILE* out = std::fopen(answers_path.c_str(), "ab");
    if (out == nullptr) return make_error(ErrorCode::kIoError, "cannot append to " + answers_path);
    if (!ends_in_newline) std::fputc('\n', out);  // after a torn last line
    std::mutex mu;
    std::atomic<size_t> next{0};
    uint64_t done = 0;
    bool write_failed = false;
    std::vector<int> errors_in_a_row(keys.size(), 0);
    const int threads = std::max(1, std::min(resolve_threads(options.threads), static_cast<int>(work.size())));
    if (options.progress) options.progress("label", 0, work.size());
    auto worker = [&] {
      std::vector<std::unique_ptr<ChatClient>> clients(keys.size());
      for (size_t i = next++; i < work.size(); i = next++) {
        const Work item = work[i];
        EndpointStats& st = stats[item.endpoint];
        {
          std::lock_guard lock(mu);
          if (st.given_up) {
            ++st.skipped;
            ++done;
            if (options.progress) options.progress("label", done, work.size());
            continue;
          }
        }
        auto& client = clients[item.endpoint];
        if (!client) client = std::move(*ChatClient::create(options.endpoints[item.endpoint], options.client));
        const InputPost& post = (*posts)[item.post];
        Answer answer = client->label_post(post.text);
        const std::string line = answer_line(post.id, keys[item.endpoint], answer) + "\n";
        std::lock_guard lock(mu);
        if (std::fwrite(line.data(), 1, line.size(), out) != line.size() || std::fflush(out) != 0) {
          write_failed = true;
        }
        ++st.requests_made;
        if (answer.status == AnswerStatus::kError) {
          st.last_error = answer.reason;
          if (++errors_in_a_row[item.endpoint] >= options.give_up_after && options.give_up_after > 0) {
            st.given_up = true;
          }
        } else {
          errors_in_a_row[item.endpoint] = 0;
        }
        answers[item.endpoint][post.id] = std::move(answer);
        ++done;
        if (options.progress) options.progress("label", done, work.size());
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (std::fclose(out) != 0) write_failed = true;
    if (write_failed) return make_error(ErrorCode::kIoError, "writing " + answers_path + " failed");
  }

  // Unanimity per post.
  std::string labels_out, disputed_out;
  std::vector<std::string> kept_ids;
  std::vector<Label> kept_labels;
  std::vector<size_t> kept_posts;
  const std::string source = source_name(options.in_path);
  for (size_t p = 0; p < posts->size(); ++p) {
    const InputPost& post = (*posts)[p];
    std::vector<const Answer*> got;
    for (size_t e = 0; e < keys.size(); ++e) {
      const auto it = answers[e].find(post.id);
      if (it == answers[e].end()) {
        ++stats[e].unanswered;
        continue;
      }
      const Answer& a = it->second;
      switch (a.status) {
        case AnswerStatus::kValid:
          ++stats[e].valid;
          ++stats[e].labels[static_cast<size_t>(a.label)];
          break;
        case AnswerStatus::kInvalid: ++stats[e].invalid; break;
        case AnswerStatus::kError:
          ++stats[e].error;
          ++stats[e].unanswered;
          if (stats[e].last_error.empty()) stats[e].last_error = a.reason;
          break;
      }
      if (a.status != AnswerStatus::kError) got.push_back(&a);
    }
    if (got.size() < keys.size()) {
      ++summary.pending;
      continue;
    }
    const bool unanimous = std::all_of(got.begin(), got.end(), [&](const Answer* a) {
      return a->status == AnswerStatus::kValid && a->label == got.front()->label;
    });
    JsonWriter w;
    if (unanimous) {
      const Label label = got.front()->label;
      ++summary.kept;
      ++summary.kept_labels[static_cast<size_t>(label)];
      w.begin_object().key("id").value(post.id).key("text").value(post.text);
      w.key("label").value(label_name(label)).key("resources");
      write_resources(w, label == Label::kIrrelevant ? std::vector<std::string>() : kept_resources(got));
      w.key("lang").value(post.lang).key("source").value(source).key("source_id").value(post.id);
      w.key("annotation").value("unanimous").key("annotators").begin_array();
      for (const auto& k : keys) w.value(k);
      w.end_array().end_object();
      labels_out += w.str() + "\n";
      kept_ids.push_back(post.id);
      kept_labels.push_back(label);
      kept_posts.push_back(p);
    } else {
      ++summary.disputed;
      w.begin_object().key("id").value(post.id).key("text").value(post.text).key("lang").value(post.lang);
      w.key("answers").begin_array();
      for (size_t e = 0; e < keys.size(); ++e) {
        const Answer& a = answers[e].at(post.id);
        w.begin_object().key("endpoint").value(keys[e]).key("status").value(answer_status_name(a.status));
        if (a.status == AnswerStatus::kValid) {
          w.key("label").value(label_name(a.label)).key("resources");
          write_resources(w, a.resources);
        } else {
          w.key("reason").value(a.reason).key("raw").value(a.raw);
        }
        w.end_object();
      }
      w.end_array().end_object();
      disputed_out += w.str() + "\n";
    }
  }
  const int64_t decided = summary.kept + summary.disputed;
  summary.unanimity = decided == 0 ? 0.0 : static_cast<double>(summary.kept) / static_cast<double>(decided);

  // Pairwise agreement between endpoints over posts both labelled validly.
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = i + 1; j < keys.size(); ++j) {
      std::vector<Label> a, b;
      for (const auto& post : *posts) {
        const auto x = answers[i].find(post.id), y = answers[j].find(post.id);
        if (x == answers[i].end() || y == answers[j].end()) continue;
        if (x->second.status != AnswerStatus::kValid || y->second.status != AnswerStatus::kValid) continue;
        a.push_back(x->second.label);
        b.push_back(y->second.label);
      }
      auto pair = agreement(a, b);
      if (!pair) return tl::unexpected(pair.error());
      summary.pairs.push_back(PairKappa{keys[i], keys[j], pair->n, pair->raw, pair->kappa});
    }
  }
  summary.endpoints = std::move(stats);

  auto draw = draw_sample(kept_ids, kept_labels, options.margin, options.confidence, options.min_per_label,
                          options.seed);
  if (!draw) return tl::unexpected(draw.error());
  summary.sample = std::move(*draw);
  std::string sample_out;
  for (const size_t k : summary.sample.selected) {
    const InputPost& post = (*posts)[kept_posts[k]];
    JsonWriter w;
    w.begin_object().key("id").value(post.id).key("text").value(post.text).key("lang").value(post.lang);
    w.key("label").null().end_object();
    sample_out += w.str() + "\n";
  }

  const std::pair<const char*, const std::string*> files[] = {
      {"labels.jsonl", &labels_out}, {"disputed.jsonl", &disputed_out}, {"validation_sample.jsonl", &sample_out}};
  for (const auto& [name, contents] : files) {
    if (auto st = write_file_atomic((dir / name).string(), *contents); !st) return tl::unexpected(st.error());
  }
  if (auto st = write_file_atomic((dir / "report.json").string(), summary.to_json() + "\n"); !st) {
    return tl::unexpected(st.error());
  }
  if (auto st = write_file_atomic((dir / "report.txt").string(), summary.to_text()); !st) {
    return tl::unexpected(st.error());
  }
  return summary;
}

std::string LabelSummary::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("out").value(out_dir).key("posts").value(posts).key("rejected").value(rejected);
  w.key("resumed_answers").value(resumed).key("unreadable_answers").value(unreadable_answers);
  w.key("kept").value(kept).key("disputed").value(disputed).key("pending").value(pending);
  w.key("unanimity").value(unanimity);
  w.key("kept_labels").begin_object();
  for (size_t c = 0; c < kNumLabels; ++c) w.key(label_name(static_cast<Label>(c))).value(kept_labels[c]);
  w.end_object();
  w.key("endpoints").begin_array();
  for (const auto& e : endpoints) {
    w.begin_object().key("endpoint").value(e.key).key("valid").value(e.valid).key("invalid").value(e.invalid);
    w.key("error").value(e.error).key("requests_made").value(e.requests_made);
    w.key("skipped").value(e.skipped).key("given_up").value(e.given_up).key("unanswered").value(e.unanswered);
    w.key("last_error").value(e.last_error);
    w.key("labels").begin_object();
    for (size_t c = 0; c < kNumLabels; ++c) w.key(label_name(static_cast<Label>(c))).value(e.labels[c]);
    w.end_object().end_object();
  }
  w.end_array();
  w.key("pairwise").begin_array();
  for (const auto& p : pairs) {
    w.begin_object().key("a").value(p.a).key("b").value(p.b).key("n").value(p.n);
    w.key("raw_agreement").value(p.raw).key("kappa").value(p.kappa).end_object();
  }
  w.end_array();
  w.key("validation_sample").begin_object().key("target").value(sample.target);
  w.key("size").value(static_cast<int64_t>(sample.selected.size())).key("strata").begin_array();
  for (const auto& s : sample.strata) {
    w.begin_object().key("label").value(label_name(s.label)).key("population").value(s.population);
    w.key("drawn").value(s.drawn).end_object();
  }
  w.end_array().end_object();
  w.end_object();
  return w.take();
}

std::string LabelSummary::to_text() const {
  std::string t;
  t += "posts " + std::to_string(posts) + " (rejected " + std::to_string(rejected) + "), answers reused " +
       std::to_string(resumed) + "\n";
  t += "kept (unanimous) " + std::to_string(kept) + ", disputed " + std::to_string(disputed) + ", pending " +
       std::to_string(pending) + ", unanimity " + fixed(unanimity) + "\n";
  t += "kept labels:";
  for (size_t c = 0; c < kNumLabels; ++c) {
    t += " " + std::string(label_name(static_cast<Label>(c))) + " " + std::to_string(kept_labels[c]);
  }
  t += "\n";
  for (const auto& e : endpoints) {
    t += "endpoint " + e.key + ": valid " + std::to_string(e.valid) + ", invalid " + std::to_string(e.invalid) +
         ", error " + std::to_string(e.error) + " (" + std::to_string(e.requests_made) + " requests this run";
    if (e.given_up) t += "; gave up after repeated errors, " + std::to_string(e.skipped) + " not asked";
    t += ")\n";
    if (e.unanswered > 0) t += "  " + std::to_string(e.unanswered) + " posts unanswered; last error: " + e.last_error + "\n";
  }
  for (const auto& p : pairs) {
    t += "kappa " + p.a + " vs " + p.b + ": " + fixed(p.kappa) + " (raw " + fixed(p.raw) + ", n " +
         std::to_string(p.n) + ")\n";
  }
  t += "validation sample: " + std::to_string(sample.selected.size()) + " posts (target " +
       std::to_string(sample.target) + ";";
  for (const auto& s : sample.strata) {
    t += " " + std::string(label_name(s.label)) + " " + std::to_string(s.drawn) + "/" + std::to_string(s.population);
  }
  t += ")\n";
  if (unreadable_answers > 0) {
    t += "warning: " + std::to_string(unreadable_answers) + " unreadable lines in answers.jsonl were skipped\n";
  }
  return t;
}

Result<ValidationSummary> validate_labels(const std::string& labels_path, const std::string& validated_path) {
  ValidationSummary summary;
  summary.labels_path = labels_path;
  summary.validated_path = validated_path;
  auto kept_text = read_file(labels_path);
  if (!kept_text) return tl::unexpected(kept_text.error());
  auto human_text = read_file(validated_path);
  if (!human_text) return tl::unexpected(human_text.error());
  simdjson::dom::parser parser;

  std::unordered_map<std::string, Label> kept;
  auto st = for_each_line(*kept_text, [&](size_t line_no, std::string_view line) -> Status {
    simdjson::dom::object obj;
    if (parser.parse(line.data(), line.size()).get(obj) != simdjson::SUCCESS) {
      return make_error(ErrorCode::kParseError, file_error(labels_path, line_no, "invalid JSON"));
    }
    const std::string id = read_id(obj);
    const auto label = parse_label(optional_string(obj, "label"));
    if (id.empty() || !label || *label == Label::kUnknown) {
      return make_error(ErrorCode::kParseError, file_error(labels_path, line_no, "needs an \"id\" and a known \"label\""));
    }
    kept[id] = *label;
    return {};
  });
  if (!st) return tl::unexpected(st.error());

  std::vector<Label> model, human;
  std::unordered_set<std::string> seen;
  st = for_each_line(*human_text, [&](size_t line_no, std::string_view line) -> Status {
    ++summary.rows;
    simdjson::dom::object obj;
    if (parser.parse(line.data(), line.size()).get(obj) != simdjson::SUCCESS) {
      return make_error(ErrorCode::kParseError, file_error(validated_path, line_no, "invalid JSON"));
    }
    const std::string id = read_id(obj);
    if (id.empty()) return make_error(ErrorCode::kParseError, file_error(validated_path, line_no, "no \"id\""));
    if (!seen.insert(id).second) {
      return make_error(ErrorCode::kParseError, file_error(validated_path, line_no, "id " + id + " appears twice"));
    }
    simdjson::dom::element el;
    std::string_view name;
    if (obj["label"].get(el) != simdjson::SUCCESS || el.is_null() ||
        (el.get(name) == simdjson::SUCCESS && name.empty())) {
      ++summary.unlabelled;
      return {};
    }
    if (el.get(name) != simdjson::SUCCESS) {
      return make_error(ErrorCode::kParseError, file_error(validated_path, line_no, "\"label\" is not a string"));
    }
    const auto label = parse_label(name);
    if (!label || *label == Label::kUnknown) {
      return make_error(ErrorCode::kParseError,
                        file_error(validated_path, line_no,
                                   "unknown label \"" + std::string(name) +
                                       "\" (request, offer, request_and_offer, irrelevant)"));
    }
    const auto it = kept.find(id);
    if (it == kept.end()) {
      ++summary.not_kept;
      return {};
    }
    model.push_back(it->second);
    human.push_back(*label);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  if (model.empty()) {
    return make_error(ErrorCode::kInvalidArgument, validated_path + ": no labelled row has an id with a kept label in " +
                                                       labels_path);
  }
  auto result = agreement(model, human);
  if (!result) return tl::unexpected(result.error());
  summary.agreement = *result;
  const std::filesystem::path dir = std::filesystem::path(labels_path).parent_path();
  if (auto w = write_file_atomic((dir / "validation.json").string(), summary.to_json() + "\n"); !w) {
    return tl::unexpected(w.error());
  }
  if (auto w = write_file_atomic((dir / "validation.txt").string(), summary.to_text()); !w) {
    return tl::unexpected(w.error());
  }
  return summary;
}

std::string ValidationSummary::to_json() const {
  JsonWriter w;
  w.begin_object().key("labels").value(labels_path).key("validated").value(validated_path);
  w.key("rows").value(rows).key("unlabelled").value(unlabelled).key("not_kept").value(not_kept);
  w.key("agreement");
  write_agreement_json(w, agreement);
  w.end_object();
  return w.take();
}

std::string ValidationSummary::to_text() const {
  std::string t = "validation: " + std::to_string(agreement.n) + " posts compared (" + std::to_string(rows) +
                  " rows, " + std::to_string(unlabelled) + " not labelled yet, " + std::to_string(not_kept) +
                  " without a kept label)\n";
  t += "raw agreement " + fixed(agreement.raw) + ", Cohen's kappa " + fixed(agreement.kappa) + "\n";
  t += "kappa one-vs-rest:";
  for (size_t c = 0; c < kNumLabels; ++c) {
    const double k = agreement.kappa_per_class[c];
    t += " " + std::string(label_name(static_cast<Label>(c))) + " " + (std::isnan(k) ? std::string("n/a") : fixed(k));
  }
  t += "\nconfusion (rows: kept label, columns: person's label; request, offer, request_and_offer, irrelevant)\n";
  for (size_t i = 0; i < kNumLabels; ++i) {
    t += "  " + std::string(label_name(static_cast<Label>(i))) + ":";
    for (size_t j = 0; j < kNumLabels; ++j) t += " " + std::to_string(agreement.confusion[i][j]);
    t += "\n";
  }
  return t;
}

}  // namespace crema::label
