// crema eval classifier: evaluates a classifier model directory on labelled JSONL, with
// per-language rows, and optionally compares the sources of resource names (the fastText
// resource model, the extraction lexicon, their union) on the same rows.
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/common/json_writer.h"
#include "crema/engine.h"
#include "crema/extract/extractor.h"
#include "crema/text/normalize.h"

namespace crema::cli {
namespace {

struct EvalClassifierArgs {
  std::string model;
  std::string data;
  bool test_split = false;
  std::string split = "all";  // all | test | validation (--test-split = test)
  uint64_t seed = 42;
  bool compare_resources = false;
};

constexpr classify::ResourceSource kSources[] = {classify::ResourceSource::kModel,
                                                 classify::ResourceSource::kExtractor,
                                                 classify::ResourceSource::kUnion};

// Resource reports of the three sources on the evaluated rows (rows with resources).
Result<std::vector<classify::EvalReport>> compare_resources(const EvalClassifierArgs& args, int threads) {
  auto posts = classify::load_labelled(args.data);
  if (!posts) return tl::unexpected(posts.error());
  std::vector<size_t> rows;
  if (args.split == "test") {
    rows = classify::stratified_split(*posts, args.seed).test;
  } else if (args.split == "validation") {
    rows = classify::stratified_split(*posts, args.seed).validation;
  } else {
    for (size_t i = 0; i < posts->size(); ++i) rows.push_back(i);
  }
  std::erase_if(rows, [&](size_t i) { return !(*posts)[i].has_resources; });
  auto classifier = classify::Classifier::load(args.model);
  if (!classifier) return tl::unexpected(classifier.error());
  extract::ExtractorOptions options;
  options.encoder.clear();  // lexicon only, as in the pipeline (src/engine/processor.cc)
  auto extractor = extract::Extractor::create(options);
  if (!extractor) return tl::unexpected(extractor.error());
  std::vector<std::string> normalized;
  for (size_t i : rows) normalized.push_back(text::normalize_text((*posts)[i].text));
  std::vector<std::string_view> views(normalized.begin(), normalized.end());
  std::vector<classify::Classification> out(rows.size());
  (*classifier)->classify_batch(views, out, threads);
  std::vector<std::vector<std::string>> truth;
  std::vector<std::vector<std::vector<std::string>>> predicted(std::size(kSources));
  for (size_t k = 0; k < rows.size(); ++k) {
    const classify::LabelledPost& post = (*posts)[rows[k]];
    truth.push_back(post.resources);
    // The pipeline runs the extractor only on posts classified actionable.
    const bool actionable = out[k].label != Label::kIrrelevant && out[k].label != Label::kUnknown;
    std::vector<std::string> extracted;
    if (actionable) {
      for (const extract::Resource& r : (*extractor)->extract(post.text).resources) {
        extracted.emplace_back(extract::crema_resource_name(r.cls));
      }
    }
    for (size_t s = 0; s < std::size(kSources); ++s) {
      predicted[s].push_back(classify::combine_resources(out[k].resources, extracted, actionable, kSources[s]));
    }
  }
  std::vector<classify::EvalReport> reports;
  for (size_t s = 0; s < std::size(kSources); ++s) {
    reports.push_back(classify::resources_report(truth, predicted[s], args.seed, 1000));
    reports.back().task = "resources (" + std::string(classify::resource_source_name(kSources[s])) + ")";
  }
  return reports;
}

int run_eval_classifier(EvalClassifierArgs args, const GlobalOptions& global) {
  if (args.test_split) {
    if (args.split == "validation") return usage_error("--test-split and --split validation contradict each other");
    args.split = "test";
  }
  const classify::EvalPart part = args.split == "test"         ? classify::EvalPart::kTest
                                  : args.split == "validation" ? classify::EvalPart::kValidation
                                                               : classify::EvalPart::kAll;
  engine::install_feature_encoders();  // a linear-head model needs its encoder
  ProgressBar bar(global.quiet);
  bar.update("evaluate", 0, 0);
  auto result = classify::evaluate_classifiers(args.model, args.data, part, args.seed, global.threads);
  std::vector<classify::EvalReport> comparison;
  if (result && args.compare_resources) {
    auto reports = compare_resources(args, global.threads);
    if (!reports) {
      bar.finish();
      return report_error(reports.error());
    }
    comparison = std::move(*reports);
  }
  bar.finish();
  if (!result) return report_error(result.error());
  if (global.json) {
    std::string dir;
    append_json_string(dir, args.model);
    std::string extra;
    if (!comparison.empty()) {
      extra = ",\"resources_comparison\":{";
      for (size_t s = 0; s < comparison.size(); ++s) {
        extra += (s > 0 ? ",\"" : "\"") + std::string(classify::resource_source_name(kSources[s])) +
                 "\":" + comparison[s].to_json();
      }
      extra += "}";
    }
    std::printf("{\"model_dir\":%s,\"actionable\":%s,\"resources\":%s%s}\n", dir.c_str(),
                result->actionable.to_json().c_str(), result->resources.to_json().c_str(), extra.c_str());
  } else {
    std::printf("%s\n%s", result->actionable.to_text().c_str(), result->resources.to_text().c_str());
    for (const classify::EvalReport& r : comparison) std::printf("\n%s", r.to_text().c_str());
  }
  return kExitOk;
}

void install_eval_classifier(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* eval = command_group(app, "eval", "Evaluate models and matching on labelled data");
  CLI::App* cmd = eval->add_subcommand("classifier", "Macro-F1 (95% bootstrap CI), per-class table, confusion matrix "
                                                     "and per-language rows of a classifier model directory");
  auto args = std::make_shared<EvalClassifierArgs>();
  cmd->add_option("--model", args->model, "Model directory (decision.txt, actionable.ftz or request.ftz + offer.ftz "
                                          "or linear_head.bin, resources.ftz)")
      ->required();
  cmd->add_option("--data", args->data, "Labelled JSONL")->required();
  cmd->add_flag("--test-split", args->test_split, "Only the 20% test part of the stratified 70/10/20 split");
  cmd->add_option("--split", args->split,
                  "Rows to score: all (default), test (= --test-split) or validation (the 10% part models are "
                  "tuned and chosen on)")
      ->check(CLI::IsMember({"all", "test", "validation"}));
  cmd->add_option("--seed", args->seed, "Seed of the split and the bootstrap (default 42)");
  cmd->add_flag("--compare-resources", args->compare_resources,
                "Also score resource names from the resource model, the extraction lexicon (on posts classified "
                "actionable) and their union");
  cmd->callback([args, &global, &exit_code] { exit_code = run_eval_classifier(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("eval-classifier", install_eval_classifier);
}  // namespace crema::cli
