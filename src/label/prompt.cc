// The system prompt (docs/annotation.md compacted) and the chat request body.
#include "crema/common/json_writer.h"
#include "crema/label/label.h"

namespace crema::label {
namespace {

// Sections 1-3 of docs/annotation.md: classes, decision rules, the hardest edge cases and
// the resource labels, then the answer format. Kept short: it is sent with every post.
constexpr std::string_view kSystemPrompt = R"(You label crisis social-media posts for a system that matches people who need help with people who offer it. Read the post (any language; translate it in your head) and give exactly one label:

- request: explicitly asks for material or practical help or resources for people affected by the crisis (goods, money, services, labour, rescue, transport, shelter, care), or amplifies such an appeal (a retweet of an appeal is a request). A need statement about present, specific people ("we have no food in Delmas 33") or a question seeking a resource ("where can I get clean water in Tacloban?") is a request. Soliciting donations, goods, blood or volunteers (donation drives, fundraisers, text-to-give) is a request.
- offer: makes help or resources available that someone in need could take up now: the author or their organisation gives, lends, hosts, transports, treats, volunteers, or announces a service ("shelter open at Lincoln High", "DM me if you need a place to stay", "I'm free this weekend, where can I volunteer?").
- request_and_offer: does both explicitly ("we need volunteers to distribute the food we collected").
- irrelevant: neither. News and reports (also of aid delivered or of appeals made elsewhere), statistics, opinions, sympathy and prayers, warnings and advice, thanks, needs or offers the post says are over, adverts and sales (even with proceeds to relief), engagement bait, jokes and figures of speech, questions for information only, fragments, spam.

Rules: label the author's intent in this post only; actionable, not topical (words like "help" or "donate" are not enough); assume a need or offer is current unless the post says it is over; emotional support alone is never a request or offer.

Resources (only for request, offer, request_and_offer; every one of them has at least one; irrelevant has none), in this order: money (funds, donations of money, fundraisers), volunteers (people's time, labour, skills), clothing (clothes, blankets, bedding), shelter (housing, rooms, evacuation centres, tents, tarpaulins), medical (doctors, medicine, first aid, hospital care, ambulances), food (meals, rice, baby formula, animal feed), water (drinking water, purification), transport (rides, boats, trucks, evacuation by vehicle, fuel for vehicles), power (electricity, generators, batteries, phone charging), blood (blood and blood donors), other (rescue and search, missing persons, tools, hygiene, information services, unspecified "relief goods" or "help").

Answer with one JSON object and nothing else:
{"label": "request|offer|request_and_offer|irrelevant", "resources": ["..."]})";

}  // namespace

std::string_view default_system_prompt() { return kSystemPrompt; }

std::string user_message(std::string_view post_text) {
  std::string message = "Post:\n";
  message += post_text;
  return message;
}

std::string request_body(const Endpoint& endpoint, const ClientOptions& options, std::string_view post_text) {
  const std::string_view system = options.system_prompt.empty() ? kSystemPrompt : options.system_prompt;
  JsonWriter w;
  w.begin_object();
  if (!endpoint.model.empty()) w.key("model").value(endpoint.model);
  w.key("messages").begin_array();
  w.begin_object().key("role").value("system").key("content").value(system).end_object();
  w.begin_object().key("role").value("user").key("content").value(user_message(post_text)).end_object();
  w.end_array();
  w.key("temperature").value(options.temperature);
  w.key("max_tokens").value(static_cast<int64_t>(options.max_tokens));
  w.key("stream").value(false);
  w.end_object();
  return w.take();
}

}  // namespace crema::label
