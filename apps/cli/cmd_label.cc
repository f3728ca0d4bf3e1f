// crema label: labels posts with language models behind OpenAI-compatible chat endpoints,
// keeps the unanimous labels, draws the validation sample, and compares a person's labels
// with the kept ones (docs/label.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "command.h"
#include "crema/common/file_io.h"
#include "crema/label/label.h"

namespace crema::cli {
namespace {

struct LabelFlags {
  std::vector<std::string> endpoints;
  std::vector<std::string> models;
  std::string api_key;
  std::string in;
  std::string out;
  std::string prompt;
  std::string validated;
  double timeout_s = 120.0;
  double connect_timeout_s = 10.0;
  int retries = 4;
  int max_tokens = 512;
  double temperature = 0.0;
  int64_t limit = 0;
  bool retry_invalid = false;
  double margin = 0.03;
  double confidence = 0.95;
  int64_t min_per_label = 30;
  uint64_t seed = 42;
  int give_up_after = 3;
  bool print_prompt = false;
};

int run_validation(const LabelFlags& flags, const GlobalOptions& global) {
  const std::string labels = (std::filesystem::path(flags.out) / "labels.jsonl").string();
  auto summary = label::validate_labels(labels, flags.validated);
  if (!summary) return report_error(summary.error());
  if (global.json) {
    std::printf("%s\n", summary->to_json().c_str());
  } else if (!global.quiet) {
    std::printf("%s", summary->to_text().c_str());
  }
  return kExitOk;
}

int run_label(const LabelFlags& flags, const GlobalOptions& global) {
  if (flags.print_prompt) {
    std::printf("%s\n", std::string(label::default_system_prompt()).c_str());
    return kExitOk;
  }
  if (flags.out.empty()) return usage_error("--out DIR is required");
  if (flags.in.empty()) {
    if (flags.validated.empty()) return usage_error("give --in and --endpoint to label, or --validated to compare");
    if (!flags.endpoints.empty()) return usage_error("--endpoint needs --in (the posts to label)");
    return run_validation(flags, global);
  }
  if (flags.endpoints.empty()) return usage_error("--in needs at least one --endpoint URL");
  if (flags.models.size() > 1 && flags.models.size() != flags.endpoints.size()) {
    return usage_error("--model: give one name for every endpoint, or one for all (" +
                       std::to_string(flags.endpoints.size()) + " endpoints, " + std::to_string(flags.models.size()) +
                       " models)");
  }
  if (flags.timeout_s <= 0 || flags.connect_timeout_s <= 0) return usage_error("--timeout values must be positive");
  if (flags.retries < 0) return usage_error("--retries must be >= 0");
  if (flags.max_tokens < 1) return usage_error("--max-tokens must be >= 1");
  if (flags.min_per_label < 0) return usage_error("--min-per-label must be >= 0");
  if (flags.give_up_after < 0) return usage_error("--give-up-after must be >= 0");

  label::LabelOptions options;
  std::string api_key = flags.api_key;
  if (api_key.empty()) {
    if (const char* env = std::getenv("CREMA_LABEL_API_KEY")) api_key = env;
  }
  for (size_t i = 0; i < flags.endpoints.size(); ++i) {
    label::Endpoint endpoint;
    endpoint.url = flags.endpoints[i];
    if (!flags.models.empty()) endpoint.model = flags.models.size() == 1 ? flags.models[0] : flags.models[i];
    endpoint.api_key = api_key;
    if (auto url = label::chat_completions_url(endpoint.url); !url) return usage_error(url.error().message);
    options.endpoints.push_back(std::move(endpoint));
  }
  if (!flags.prompt.empty()) {
    auto prompt = read_file(flags.prompt);
    if (!prompt) return report_error(prompt.error());
    if (prompt->empty()) return usage_error("--prompt: " + flags.prompt + " is empty");
    options.client.system_prompt = std::move(*prompt);
  }
  options.in_path = flags.in;
  options.out_dir = flags.out;
  options.client.timeout_s = flags.timeout_s;
  options.client.connect_timeout_s = flags.connect_timeout_s;
  options.client.max_retries = flags.retries;
  options.client.max_tokens = flags.max_tokens;
  options.client.temperature = flags.temperature;
  options.threads = global.threads;
  options.limit = flags.limit;
  options.retry_invalid = flags.retry_invalid;
  options.margin = flags.margin;
  options.confidence = flags.confidence;
  options.min_per_label = flags.min_per_label;
  options.seed = flags.seed;
  options.give_up_after = flags.give_up_after;

  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  auto summary = label::run_labelling(options);
  bar.finish();
  if (!summary) return report_error(summary.error());

  std::optional<label::ValidationSummary> validation;
  if (!flags.validated.empty()) {
    auto v = label::validate_labels((std::filesystem::path(flags.out) / "labels.jsonl").string(), flags.validated);
    if (!v) return report_error(v.error());
    validation = std::move(*v);
  }
  if (global.json) {
    std::string json = summary->to_json();
    if (validation) {
      json.pop_back();  // the closing brace: the validation joins the same object
      json += ",\"validation\":" + validation->to_json() + "}";
    }
    std::printf("%s\n", json.c_str());
  } else if (!global.quiet) {
    std::printf("%s", summary->to_text().c_str());
    if (validation) std::printf("%s", validation->to_text().c_str());
    std::printf("-> %s\n", flags.out.c_str());
  }
  if (summary->pending > 0) {
    for (const auto& e : summary->endpoints) {
      if (e.unanswered == 0) continue;
      std::fprintf(stderr, "crema: error: endpoint %s: %lld posts without an answer%s; last error: %s\n", e.key.c_str(),
                   static_cast<long long>(e.unanswered),
                   e.given_up ? " (gave up on it after repeated errors)" : "", e.last_error.c_str());
    }
    std::fprintf(stderr,
                 "crema: error: %lld posts still lack an answer from some endpoint (see \"error\" lines in "
                 "%s/answers.jsonl); run the same command again to retry them\n",
                 static_cast<long long>(summary->pending), flags.out.c_str());
    return kExitRuntimeError;
  }
  return kExitOk;
}

void install_label(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<LabelFlags>();
  CLI::App* cmd = app.add_subcommand(
      "label",
      "Label posts with language models behind OpenAI-compatible chat endpoints, keep unanimous labels, draw "
      "the validation sample; --validated compares a person's labels (kappa)");
  cmd->add_option("--endpoint", flags->endpoints,
                  "Chat endpoint: http(s)://host:port[/v1[/chat/completions]] (repeat for several models)");
  cmd->add_option("--model", flags->models, "Model name sent with the requests: one for all endpoints, or one each");
  cmd->add_option("--api-key", flags->api_key, "Bearer key for the endpoints (default: env CREMA_LABEL_API_KEY)");
  cmd->add_option("--in", flags->in, "Posts to label (JSONL/CSV as `crema run` reads; '-' = stdin)");
  cmd->add_option("--out", flags->out, "Output directory: answers.jsonl, labels.jsonl, disputed.jsonl, "
                                       "validation_sample.jsonl, report.json/txt (created if missing)");
  cmd->add_option("--validated", flags->validated,
                  "A person's labels of the validation sample (JSONL with id and label): report agreement and "
                  "Cohen's kappa against OUT/labels.jsonl");
  cmd->add_option("--prompt", flags->prompt, "File holding a system prompt to use instead of the built-in one");
  cmd->add_flag("--print-prompt", flags->print_prompt, "Print the built-in system prompt and exit");
  cmd->add_option("--timeout", flags->timeout_s, "Seconds to wait for one answer")->capture_default_str();
  cmd->add_option("--connect-timeout", flags->connect_timeout_s, "Seconds to wait for a connection")
      ->capture_default_str();
  cmd->add_option("--retries", flags->retries, "Retries after a connection failure, timeout, 408, 429 or 5xx")
      ->capture_default_str();
  cmd->add_option("--max-tokens", flags->max_tokens, "max_tokens of each request")->capture_default_str();
  cmd->add_option("--temperature", flags->temperature, "temperature of each request")->capture_default_str();
  cmd->add_option("--limit", flags->limit, "Label only the first N posts (0 = all)")->capture_default_str();
  cmd->add_option("--give-up-after", flags->give_up_after,
                  "Stop asking an endpoint after this many failed requests in a row (0 = never); its posts "
                  "stay pending for a rerun")
      ->capture_default_str();
  cmd->add_flag("--retry-invalid", flags->retry_invalid, "Ask again where a stored answer could not be read");
  cmd->add_option("--margin", flags->margin, "Validation sample: margin of error")->capture_default_str();
  cmd->add_option("--confidence", flags->confidence, "Validation sample: confidence level")->capture_default_str();
  cmd->add_option("--min-per-label", flags->min_per_label,
                  "Validation sample: at least this many posts of each kept label (all when fewer)")
      ->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Validation sample: which posts are drawn")->capture_default_str();
  cmd->callback([flags, &global, &exit_code] { exit_code = run_label(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("l-label", install_label);
}  // namespace crema::cli
