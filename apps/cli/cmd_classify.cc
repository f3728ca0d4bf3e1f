// crema classify: label each post request / offer / request_and_offer / irrelevant with
// probabilities and resource types, by the bundled fastText models, another model directory,
// or a transformer folder (--model hf:DIR / hf-int8:DIR, docs/nn.md).
#include "command.h"
#include "crema/engine.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

void install_classify(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<JobFlags>();
  CLI::App* cmd = app.add_subcommand("classify", "Classify posts (CHO 4 classes + resource types) into JSONL");
  add_job_flags(*cmd, *flags, "Output JSONL, one line per post");
  cmd->add_option("--model", flags->pipeline.model_dir,
                  "Classifier: a fastText model directory, hf:DIR or hf-int8:DIR (a Hugging Face "
                  "*ForSequenceClassification or CremaMeanPoolClassifier folder whose id2label names are "
                  "request, offer, request_and_offer, irrelevant; docs/nn.md)")
      ->excludes("--model-dir");
  cmd->callback([flags, &global, &exit_code] {
    exit_code = run_file_job<engine::ClassifyOptions>(*flags, global, engine::classify);
  });
}

}  // namespace
CREMA_REGISTER_COMMAND("b-classify", install_classify);
}  // namespace crema::cli
