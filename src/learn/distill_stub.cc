// Built without LibTorch: distillation is unavailable, the shapes are still known.
#include "crema/learn/distill.h"
#include "student_shape.inc"

namespace crema::learn {
namespace {
Error no_torch() {
  return Error{ErrorCode::kUnsupported, "built without LibTorch: configure with -DCREMA_WITH_TORCH=ON"};
}
}  // namespace

bool torch_available() { return false; }

Result<DistillReport> train_encoder(const DistillOptions&, const ProgressFn&) { return tl::unexpected(no_torch()); }

Result<FinetuneReport> finetune_matching(const FinetuneOptions&, const ProgressFn&) { return tl::unexpected(no_torch()); }

Result<std::vector<float>> torch_embed(const std::filesystem::path&, const std::vector<std::string>&) {
  return tl::unexpected(no_torch());
}

}  // namespace crema::learn
