// crema/label/label.h: labelling posts with language models behind OpenAI-compatible chat
// endpoints (CHO §3.2), and checking those labels against a person's.
//
// Each post goes, with a system prompt built from docs/annotation.md, to every endpoint
// (POST <base>/v1/chat/completions, e.g. a local llama.cpp or vLLM server). A label is kept
// only when every endpoint gave the same valid label (unanimity); the rest are "disputed".
// From the kept labels a stratified sample is drawn for a person to label, sized for a
// margin of error at a confidence level (default ±3% at 95%); the person's labels then give
// raw agreement and Cohen's kappa. docs/label.md describes the files and formulas.
//
// Nothing here throws: transport failures and unreadable replies become Answers with a
// status and a reason; file and argument problems are Errors.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::label {

// ---------------------------------------------------------------------------------------
// Prompt and replies

// The built-in system prompt: the guide's classes, decision rules, resource labels and the
// JSON answer format, compacted. Static storage; never empty.
std::string_view default_system_prompt();

// The user message for one post (the post's raw text behind a short lead-in).
std::string user_message(std::string_view post_text);

enum class AnswerStatus : uint8_t {
  kValid,    // a label (and resources) read from the model's reply
  kInvalid,  // the endpoint answered, but no label could be read (prose, unknown label, …)
  kError,    // no usable HTTP answer (connection refused, timeout, 4xx/5xx after retries)
};
std::string_view answer_status_name(AnswerStatus status);  // "valid", "invalid", "error"

struct Answer {
  AnswerStatus status = AnswerStatus::kError;
  Label label = Label::kUnknown;       // set only when kValid
  std::vector<std::string> resources;  // kResourceNames order, no repeats; [] for irrelevant
  std::string raw;                     // the model's reply text (or the HTTP body / error)
  std::string reason;                  // why kInvalid / kError; empty when kValid
  int attempts = 0;                    // HTTP requests made (1 + retries)
};

// Reads a label from a model's reply text. Accepts a JSON object {"label":…,"resources":[…]}
// anywhere in the text (bare, in a ```json fence, after prose or a <think>…</think> block;
// the last object with a "label" key wins), or a reply that is only a label name. Labels
// are matched case-insensitively ("Request and offer", "request-and-offer" and "both" are
// request_and_offer). Unknown resource names are dropped; an actionable label with no known
// resource gets ["other"] (guide §3); irrelevant gets []. Returns kValid or kInvalid, never
// kError; raw is the reply. Total function: any bytes in, no crash.
Answer parse_reply(std::string_view reply);

// Reads a whole /v1/chat/completions response body: choices[0].message.content through
// parse_reply. A body that is not that shape is kInvalid with the body as raw.
Answer parse_chat_response(std::string_view body);

// ---------------------------------------------------------------------------------------
// Endpoints

struct Endpoint {
  // As given: "http://host:port", ".../v1", or the full ".../v1/chat/completions";
  // https:// needs a build of cpp-httplib with OpenSSL (Debian's has it).
  std::string url;
  std::string model;    // the request's "model" field; empty = left out (server default)
  std::string api_key;  // sent as "Authorization: Bearer <key>"; empty = no header
};

// The full chat-completions URL of url (see Endpoint::url), or kInvalidArgument for a URL
// that is not http(s)://host[:port][/path].
Result<std::string> chat_completions_url(std::string_view url);

// The name an endpoint's answers are stored under in answers.jsonl: "<model>@<full url>"
// (just the url when model is empty). Stable across runs, so reruns can resume.
std::string endpoint_key(const Endpoint& endpoint);

struct ClientOptions {
  double timeout_s = 120.0;         // read/write timeout of one request
  double connect_timeout_s = 10.0;  // TCP (and TLS) connect timeout
  int max_retries = 4;              // extra attempts after a connection failure, 408, 429 or 5xx
  double backoff_s = 1.0;           // first retry wait; doubles each retry (Retry-After wins)
  double max_backoff_s = 30.0;      // cap on one wait
  int max_tokens = 512;             // "max_tokens" of the request (room for a short reasoning)
  double temperature = 0.0;         // "temperature" of the request
  std::string system_prompt;        // empty = default_system_prompt()
};

// The JSON request body for one post.
std::string request_body(const Endpoint& endpoint, const ClientOptions& options, std::string_view post_text);

// One endpoint's HTTP connection. Not thread-safe: use one ChatClient per thread.
class ChatClient {
 public:
  virtual ~ChatClient() = default;
  // Fails (kInvalidArgument) on a bad URL, kUnsupported for https:// without TLS support.
  static Result<std::unique_ptr<ChatClient>> create(const Endpoint& endpoint, const ClientOptions& options);
  // Sends one post, retrying as ClientOptions says. Never fails: problems are in the Answer.
  virtual Answer label_post(std::string_view post_text) = 0;
};

// ---------------------------------------------------------------------------------------
// Agreement and the validation sample

// Cohen's kappa and raw agreement between two labellings of the same posts.
struct Agreement {
  int64_t n = 0;
  double raw = 0.0;    // share of posts with the same label
  double kappa = 0.0;  // 4-class Cohen's kappa; 1 when both labellings use one same class only
  // One-vs-rest, indexed by Label; NaN for a class neither labelling uses (JSON null).
  std::array<double, kNumLabels> kappa_per_class{};
  std::array<std::array<int64_t, kNumLabels>, kNumLabels> confusion{};  // [a][b]
};
// a and b have the same length and hold no kUnknown (kInvalidArgument otherwise).
Result<Agreement> agreement(std::span<const Label> a, std::span<const Label> b);

// Cohen's kappa of a square confusion matrix [a][b] (any number of categories): (po − pe) /
// (1 − pe); 1 when pe == 1; 0 for an empty matrix.
double cohens_kappa(const std::vector<std::vector<int64_t>>& confusion);

// Sample size for estimating a proportion within ±margin at the confidence level, for a
// population of `population` items: n0 = z²·p(1−p)/e² with p = 0.5 (the worst case), then the
// finite-population correction n = n0 / (1 + (n0 − 1)/N), rounded up, at most N.
// margin in (0, 1), confidence in (0, 1); otherwise kInvalidArgument.
Result<int64_t> sample_size(int64_t population, double margin, double confidence);

struct Stratum {
  Label label = Label::kUnknown;
  int64_t population = 0;
  int64_t drawn = 0;
};
struct SampleDraw {
  int64_t target = 0;            // sample_size() of the whole population
  std::vector<size_t> selected;  // indices into the input, in a shuffled order
  std::vector<Stratum> strata;   // one per label present, in Label order
};
// Draws a sample stratified by label: sample_size(labels.size()) split across labels in
// proportion (largest remainder), then each label topped up to min(min_per_label, its size)
// (CHO adds all of its rarest class). Which posts: the smallest hash of (seed, key) in each
// stratum, so the draw does not depend on input order. keys and labels have equal lengths.
Result<SampleDraw> draw_sample(std::span<const std::string> keys, std::span<const Label> labels, double margin,
                               double confidence, int64_t min_per_label, uint64_t seed);

// ---------------------------------------------------------------------------------------
// The labelling run (`crema label`)

struct LabelOptions {
  std::vector<Endpoint> endpoints;  // at least one
  std::string in_path;              // posts, any shape crema/ingest/reader.h reads ("-" = stdin)
  std::string out_dir;              // created if missing
  ClientOptions client;
  int threads = 0;             // requests in flight at once; 0 = hardware threads
  int64_t limit = 0;           // label at most this many posts (input order); 0 = all
  bool retry_invalid = false;  // ask again where an endpoint's stored answer is invalid
  double margin = 0.03;        // validation sample: margin of error
  double confidence = 0.95;    // validation sample: confidence level
  int64_t min_per_label = 30;  // validation sample: at least this many of each kept label
  uint64_t seed = 42;          // validation sample: which posts
  // Stop asking an endpoint once this many of its requests in a row ended in an error (after
  // their retries): a dead or refusing server would otherwise cost every post its retries.
  // Its remaining posts stay pending (no answer stored), so a rerun asks them. 0 = never.
  int give_up_after = 3;
  ProgressFn progress;         // ("label", requests done, requests to make)
};

struct EndpointStats {
  std::string key;  // endpoint_key()
  int64_t valid = 0, invalid = 0, error = 0;
  int64_t requests_made = 0;  // this run (not resumed answers)
  int64_t skipped = 0;        // requests not made this run because the endpoint was given up
  bool given_up = false;      // LabelOptions::give_up_after failures in a row this run
  int64_t unanswered = 0;     // posts with no valid or invalid answer from it (errors, skipped)
  std::string last_error;     // reason of its last error this run, else of a stored one; "" if none
  std::array<int64_t, kNumLabels> labels{};
};

struct PairKappa {
  std::string a, b;  // endpoint keys
  int64_t n = 0;     // posts both answered validly
  double raw = 0.0, kappa = 0.0;
};

struct LabelSummary {
  std::string out_dir;
  int64_t posts = 0;     // distinct posts read (after --limit)
  int64_t rejected = 0;  // input records that were not posts (rejects.jsonl)
  int64_t resumed = 0;   // answers reused from an earlier run's answers.jsonl
  int64_t unreadable_answers = 0;  // answers.jsonl lines skipped (torn by a killed run)
  int64_t kept = 0;      // unanimous: labels.jsonl
  int64_t disputed = 0;  // answered by all endpoints, not unanimous: disputed.jsonl
  int64_t pending = 0;   // some endpoint gave no answer yet (errors): a rerun retries them
  std::array<int64_t, kNumLabels> kept_labels{};
  double unanimity = 0.0;  // kept / (kept + disputed)
  std::vector<EndpointStats> endpoints;
  std::vector<PairKappa> pairs;
  SampleDraw sample;  // validation_sample.jsonl (indices are into the kept posts)
  std::string to_json() const;
  std::string to_text() const;
};

// Labels every post of in_path with every endpoint, skipping (post id, endpoint) pairs that
// out_dir/answers.jsonl already answers (valid or invalid; errors are retried), appends new
// answers there as they arrive, then rewrites labels.jsonl, disputed.jsonl,
// validation_sample.jsonl, report.json and report.txt. A post id seen twice is a reject.
// Fails only on unusable options or files (unreadable input, unwritable out_dir).
Result<LabelSummary> run_labelling(const LabelOptions& options);

struct ValidationSummary {
  std::string labels_path, validated_path;
  int64_t rows = 0;         // rows of the validated file
  int64_t unlabelled = 0;   // rows whose "label" is empty or null (not labelled yet)
  int64_t not_kept = 0;     // rows whose id has no kept label
  Agreement agreement;      // kept (a) vs person (b), over the remaining rows
  std::string to_json() const;
  std::string to_text() const;
};

// Compares labels_path (labels.jsonl: "id" and "label") with a person's validated_path (JSONL
// rows with "id" and "label"), and writes validation.json / validation.txt beside
// labels_path. A bad line (invalid JSON, no id, unknown label) is a kParseError naming the
// file and line; no comparable row is kInvalidArgument.
Result<ValidationSummary> validate_labels(const std::string& labels_path, const std::string& validated_path);

}  // namespace crema::label
