// Labelled JSONL reader.
#include <algorithm>

#include <simdjson.h>

#include "crema/classify/classifier.h"
#include "crema/common/file_io.h"

namespace crema::classify {
namespace {

Result<std::string> optional_string(simdjson::dom::object& obj, const char* field) {
  simdjson::dom::element el;
  if (obj[field].get(el) != simdjson::SUCCESS || el.is_null()) return std::string();
  std::string_view s;
  if (el.get(s) != simdjson::SUCCESS) return make_error(ErrorCode::kParseError, std::string(field) + " is not a string");
  return std::string(s);
}

Status parse_record(simdjson::dom::element doc, LabelledPost& post) {
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS) return make_error(ErrorCode::kParseError, "not a JSON object");
  std::string_view text;
  if (obj["text"].get(text) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kParseError, "missing or non-string \"text\"");
  }
  post.text = std::string(text);
  auto label = optional_string(obj, "label");
  if (!label) return tl::unexpected(label.error());
  if (!label->empty()) {
    auto parsed = parse_label(*label);
    if (!parsed || *parsed == Label::kUnknown) {
      return make_error(ErrorCode::kParseError, "unknown label \"" + *label + "\"");
    }
    post.label = *parsed;
  }
  simdjson::dom::element res;
  if (obj["resources"].get(res) == simdjson::SUCCESS && !res.is_null()) {
    simdjson::dom::array arr;
    if (res.get(arr) != simdjson::SUCCESS) return make_error(ErrorCode::kParseError, "\"resources\" is not an array");
    post.has_resources = true;
    for (simdjson::dom::element item : arr) {
      std::string_view name;
      if (item.get(name) != simdjson::SUCCESS) {
        return make_error(ErrorCode::kParseError, "\"resources\" holds a non-string");
      }
      if (std::find(kResourceNames.begin(), kResourceNames.end(), name) == kResourceNames.end()) {
        return make_error(ErrorCode::kParseError, "unknown resource \"" + std::string(name) + "\"");
      }
      if (std::find(post.resources.begin(), post.resources.end(), name) == post.resources.end()) {
        post.resources.emplace_back(name);
      }
    }
  }
  auto lang = optional_string(obj, "lang");
  if (!lang) return tl::unexpected(lang.error());
  post.lang = std::move(*lang);
  auto source = optional_string(obj, "source");
  if (!source) return tl::unexpected(source.error());
  auto source_id = optional_string(obj, "source_id");
  if (!source_id) return tl::unexpected(source_id.error());
  if (!source_id->empty()) post.group = *source + "/" + *source_id;
  simdjson::dom::element synthetic;
  if (obj["synthetic"].get(synthetic) == simdjson::SUCCESS) {
    bool flag = false;
    if (synthetic.get(flag) != simdjson::SUCCESS) return make_error(ErrorCode::kParseError, "\"synthetic\" is not a boolean");
    post.train_only = flag;
    post.synthetic = flag;
  }
  simdjson::dom::element split;
  if (obj["split"].get(split) == simdjson::SUCCESS) {
    std::string_view part;
    if (split.get(part) != simdjson::SUCCESS || part != "train") {
      return make_error(ErrorCode::kParseError, "\"split\" must be \"train\" when given");
    }
    post.train_only = true;
  }
  return {};
}

}  // namespace

Result<std::vector<LabelledPost>> load_labelled(const std::string& path) {
  auto contents = read_file(path);
  if (!contents) return tl::unexpected(contents.error());
  simdjson::dom::parser parser;
  std::vector<LabelledPost> posts;
  std::string_view rest = *contents;
  size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    simdjson::dom::element doc;
    const auto err = parser.parse(line.data(), line.size()).get(doc);
    if (err != simdjson::SUCCESS) {
      return make_error(ErrorCode::kParseError, path + ":" + std::to_string(line_no) +
                                                    ": invalid JSON: " + simdjson::error_message(err));
    }
    LabelledPost post;
    if (auto st = parse_record(doc, post); !st) {
      return make_error(ErrorCode::kParseError, path + ":" + std::to_string(line_no) + ": " + st.error().message);
    }
    posts.push_back(std::move(post));
  }
  return posts;
}

}  // namespace crema::classify
