// Installs the engine's feature-encoder factory when the crema binary starts, so that
// linear-head classifier directories (decision.txt "type linear-head",
// crema/classify/linear_head.h) load and train in every subcommand, including those that
// call crema::classify directly (train classifier, eval classifier).
#include "crema/engine.h"

namespace crema::cli {
namespace {

const bool kInstalled = [] {
  engine::install_feature_encoders();
  return true;
}();

}  // namespace
}  // namespace crema::cli
