// Reading a label out of whatever a chat model answered.
#include <algorithm>
#include <optional>

#include <simdjson.h>

#include "crema/label/label.h"

namespace crema::label {
namespace {

// Objects tried per reply: bounds the work on pathological input ("{{{{…").
constexpr int kMaxObjectsTried = 256;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s, std::string_view junk = " \t\r\n") {
  const size_t b = s.find_first_not_of(junk);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(junk);
  return s.substr(b, e - b + 1);
}

// "Request and Offer", "request-and-offer", "REQUEST" … -> a Label; nullopt otherwise.
std::optional<Label> read_label_name(std::string_view raw) {
  std::string name = ascii_lower(trim(raw, " \t\r\n\"'`*.:"));
  for (char& c : name) {
    if (c == ' ' || c == '-') c = '_';
  }
  if (name == "request") return Label::kRequest;
  if (name == "offer") return Label::kOffer;
  if (name == "request_and_offer" || name == "request_&_offer" || name == "both") return Label::kRequestAndOffer;
  if (name == "irrelevant") return Label::kIrrelevant;
  return std::nullopt;
}

void add_resource(std::string_view raw, std::vector<bool>& chosen) {
  const std::string name = ascii_lower(trim(raw, " \t\r\n\"'`*."));
  for (size_t i = 0; i < kResourceNames.size(); ++i) {
    if (kResourceNames[i] == name) chosen[i] = true;
  }
}

Answer valid_answer(Label label, const std::vector<bool>& chosen, std::string_view reply) {
  Answer answer;
  answer.status = AnswerStatus::kValid;
  answer.label = label;
  answer.raw = std::string(reply);
  if (label != Label::kIrrelevant) {
    for (size_t i = 0; i < kResourceNames.size(); ++i) {
      if (chosen[i]) answer.resources.emplace_back(kResourceNames[i]);
    }
    if (answer.resources.empty()) answer.resources.emplace_back("other");
  }
  return answer;
}

Answer invalid_answer(std::string_view reply, std::string reason) {
  Answer answer;
  answer.status = AnswerStatus::kInvalid;
  answer.raw = std::string(reply);
  answer.reason = std::move(reason);
  return answer;
}

// End (one past the closing brace) of the JSON object starting at text[begin] == '{', by
// counting braces outside strings; npos when it never closes.
size_t object_end(std::string_view text, size_t begin) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// What one JSON object says: nullopt when it has no "label" key (any case); otherwise the
// label (nullopt inside when the value is not a known label) and resources.
struct ObjectReading {
  std::optional<Label> label;
  std::string label_text;
  std::vector<bool> resources = std::vector<bool>(kResourceNames.size(), false);
};

std::optional<ObjectReading> read_object(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) return std::nullopt;
  std::optional<ObjectReading> reading;
  simdjson::dom::element resources;
  bool has_resources = false;
  for (auto field : obj) {
    const std::string key = ascii_lower(field.key);
    if (key == "label" || key == "class" || key == "category") {
      if (reading && key != "label") continue;  // "label" wins over its synonyms
      reading.emplace();
      std::string_view s;
      if (field.value.get(s) == simdjson::SUCCESS) {
        reading->label_text = std::string(s);
        reading->label = read_label_name(s);
      } else {
        reading->label_text = simdjson::to_string(field.value);
      }
    } else if (key == "resources") {
      resources = field.value;
      has_resources = true;
    }
  }
  if (!reading || !has_resources) return reading;
  simdjson::dom::array items;
  std::string_view list;
  if (resources.get(items) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : items) {
      std::string_view name;
      if (item.get(name) == simdjson::SUCCESS) add_resource(name, reading->resources);
    }
  } else if (resources.get(list) == simdjson::SUCCESS) {  // "food, water"
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      add_resource(list.substr(start, comma - start), reading->resources);
      start = comma + 1;
    }
  }
  return reading;
}

// The reply without a leading reasoning block; nullopt when the reply ends inside one.
std::optional<std::string_view> strip_thinking(std::string_view reply) {
  const size_t close = reply.rfind("</think>");
  if (close != std::string_view::npos) return reply.substr(close + 8);
  if (reply.find("<think>") != std::string_view::npos) return std::nullopt;
  return reply;
}

}  // namespace

std::string_view answer_status_name(AnswerStatus status) {
  switch (status) {
    case AnswerStatus::kValid: return "valid";
    case AnswerStatus::kInvalid: return "invalid";
    case AnswerStatus::kError: return "error";
  }
  return "error";
}

Answer parse_reply(std::string_view reply) {
  const auto visible = strip_thinking(reply);
  if (!visible) return invalid_answer(reply, "the reply ends inside <think> (raise --max-tokens)");
  const std::string_view text = *visible;

  simdjson::dom::parser parser;
  std::optional<ObjectReading> last;
  int tried = 0;
  size_t pos = text.find('{');
  while (pos != std::string_view::npos && tried < kMaxObjectsTried) {
    ++tried;
    const size_t end = object_end(text, pos);
    if (end == std::string_view::npos) break;  // no later '{' can close either
    if (auto reading = read_object(parser, text.substr(pos, end - pos))) {
      last = std::move(reading);
      pos = text.find('{', end);
    } else {
      pos = text.find('{', pos + 1);  // look inside: {"answer": {"label": …}}
    }
  }
  if (last) {
    if (!last->label) return invalid_answer(reply, "unknown label " + last->label_text);
    return valid_answer(*last->label, last->resources, reply);
  }
  // A bare label, possibly fenced or quoted ("offer", "```\nrequest\n```").
  std::string_view bare = trim(text);
  if (bare.starts_with("```")) {
    bare.remove_prefix(3);
    const size_t nl = bare.find('\n');
    if (nl != std::string_view::npos && bare.substr(0, nl).find(' ') == std::string_view::npos) {
      bare.remove_prefix(nl + 1);  // a language tag such as "json"
    }
  }
  if (bare.ends_with("```")) bare.remove_suffix(3);
  if (auto label = read_label_name(bare)) {
    return valid_answer(*label, std::vector<bool>(kResourceNames.size(), false), reply);
  }
  return invalid_answer(reply, "no JSON object with a \"label\" in the reply");
}

Answer parse_chat_response(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body.data(), body.size()).get(obj) != simdjson::SUCCESS) {
    return invalid_answer(body, "the response body is not a JSON object");
  }
  simdjson::dom::element error;
  if (obj["error"].get(error) == simdjson::SUCCESS && !error.is_null()) {
    std::string_view message;
    if (error["message"].get(message) != simdjson::SUCCESS) message = "(no message)";
    return invalid_answer(body, "the endpoint answered an error: " + std::string(message));
  }
  simdjson::dom::array choices;
  if (obj["choices"].get(choices) != simdjson::SUCCESS || choices.size() == 0) {
    return invalid_answer(body, "the response has no \"choices\"");
  }
  simdjson::dom::element first = choices.at(0).value_unsafe();
  std::string_view content;
  bool have = first["message"]["content"].get(content) == simdjson::SUCCESS;
  if (!have) have = first["text"].get(content) == simdjson::SUCCESS;  // legacy completions shape
  if (!have || trim(content).empty()) {
    std::string_view finish;
    if (first["finish_reason"].get(finish) != simdjson::SUCCESS) finish = "none";
    return invalid_answer(body, "empty message content (finish_reason " + std::string(finish) + ")");
  }
  return parse_reply(content);
}

}  // namespace crema::label
