// crema/extract/record.h: the per-post extraction record — what `crema extract` writes as
// one JSONL line and `crema run` stores in posts.extraction_json (docs/extraction.md).
#pragma once

#include <string>

#include "crema/common/post.h"
#include "crema/extract/extractor.h"
#include "crema/geo/geocoder.h"

namespace crema::extract {

// {"id", "resources", "quantities", "locations", "sources", "contacts", "geo"} for one post.
// Contacts are masked (mask_contact) unless `unmask`; offsets are raw-text byte offsets.
std::string extraction_json(const Post& post, const Extraction& extraction, const geo::GeoResult& geo,
                            bool unmask);

}  // namespace crema::extract
