// Quantity-aware allocation (allocate.h): per (resource, unit) key a min-cost flow solved by
// LEMON's NetworkSimplex, and the greedy baseline.
#include "crema/match/allocate.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_set>
#include <utility>

#include <lemon/network_simplex.h>
#include <lemon/preflow.h>
#include <lemon/smart_graph.h>

namespace crema::match {
namespace {

// Amounts above this are refused: sums over a million posts stay inside int64.
constexpr double kMaxAmount = 1e12;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

struct ParsedAmount {
  double low = 0, high = 0;
  bool vague = false;
};

// The extractor's normalised amount: "500", "3.5", "50-100", "~10".
std::optional<ParsedAmount> parse_amount(std::string_view text) {
  ParsedAmount out;
  if (!text.empty() && text.front() == '~') {
    out.vague = true;
    text.remove_prefix(1);
  }
  const auto number = [](std::string_view s, double& v) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(v) && v >= 0;
  };
  const size_t dash = text.find('-', 1);
  if (dash == std::string_view::npos) {
    if (!number(text, out.low)) return std::nullopt;
    out.high = out.low;
  } else if (!number(text.substr(0, dash), out.low) || !number(text.substr(dash + 1), out.high) ||
             out.high < out.low) {
    return std::nullopt;
  }
  return out;
}

struct Key {
  std::string resource, unit;
  bool operator<(const Key& o) const { return resource != o.resource ? resource < o.resource : unit < o.unit; }
  bool operator==(const Key& o) const { return resource == o.resource && unit == o.unit; }
};

// A problem with amounts rounded to whole units and grouped by key.
struct Prepared {
  std::vector<Key> keys;                                    // sorted
  std::vector<std::vector<std::pair<size_t, int64_t>>> need;  // per request: (key, amount)
  std::vector<std::vector<std::pair<size_t, int64_t>>> cap;   // per offer: (key, amount)
};

Result<std::vector<std::pair<size_t, int64_t>>> group(const std::vector<ResourceAmount>& amounts,
                                                      const std::map<Key, size_t>& index, const char* what,
                                                      size_t post) {
  std::map<size_t, double> sums;
  for (const auto& a : amounts) {
    if (a.resource.empty() || a.unit.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(what) + " " + std::to_string(post) + ": empty resource or unit");
    }
    if (!std::isfinite(a.amount) || a.amount <= 0 || a.amount > kMaxAmount) {
      return make_error(ErrorCode::kInvalidArgument, std::string(what) + " " + std::to_string(post) + ": amount " +
                                                         std::to_string(a.amount) + " of " + a.resource +
                                                         " is not in (0, 1e12]");
    }
    sums[index.at(Key{a.resource, a.unit})] += a.amount;
  }
  std::vector<std::pair<size_t, int64_t>> out;
  for (const auto& [key, sum] : sums) {
    const auto whole = static_cast<int64_t>(std::llround(std::min(sum, kMaxAmount)));
    if (whole > 0) out.emplace_back(key, whole);
  }
  return out;
}

Result<Prepared> prepare(const AllocationProblem& problem) {
  std::map<Key, size_t> index;
  for (const auto* side : {&problem.requests, &problem.offers}) {
    for (const auto& amounts : *side) {
      for (const auto& a : amounts) index.emplace(Key{a.resource, a.unit}, 0);
    }
  }
  Prepared p;
  for (auto& [key, i] : index) {
    i = p.keys.size();
    p.keys.push_back(key);
  }
  for (size_t r = 0; r < problem.requests.size(); ++r) {
    auto g = group(problem.requests[r], index, "request", r);
    if (!g) return tl::unexpected(g.error());
    p.need.push_back(std::move(*g));
  }
  for (size_t o = 0; o < problem.offers.size(); ++o) {
    auto g = group(problem.offers[o], index, "offer", o);
    if (!g) return tl::unexpected(g.error());
    p.cap.push_back(std::move(*g));
  }
  std::unordered_set<uint64_t> seen;
  for (size_t e = 0; e < problem.edges.size(); ++e) {
    const auto& edge = problem.edges[e];
    const std::string where = "edge " + std::to_string(e);
    if (edge.request >= problem.requests.size() || edge.offer >= problem.offers.size()) {
      return make_error(ErrorCode::kInvalidArgument, where + ": request or offer index out of range");
    }
    if (!std::isfinite(edge.score) || edge.score <= 0 || edge.score > 1) {
      return make_error(ErrorCode::kInvalidArgument, where + ": score " + std::to_string(edge.score) + " is not in (0, 1]");
    }
    // Mixing the two indices into one word: collisions only matter for > 2^32 posts.
    if (!seen.insert((static_cast<uint64_t>(edge.request) << 32) ^ static_cast<uint64_t>(edge.offer)).second) {
      return make_error(ErrorCode::kInvalidArgument, where + ": a second edge for request " +
                                                         std::to_string(edge.request) + " and offer " +
                                                         std::to_string(edge.offer));
    }
  }
  return p;
}

// Calls fn(key, need, cap) for every key the request needs and the offer has.
template <typename Fn>
void for_shared_keys(const Prepared& p, size_t request, size_t offer, const Fn& fn) {
  const auto& n = p.need[request];
  const auto& c = p.cap[offer];
  size_t i = 0, j = 0;
  while (i < n.size() && j < c.size()) {
    if (n[i].first < c[j].first) {
      ++i;
    } else if (c[j].first < n[i].first) {
      ++j;
    } else {
      fn(n[i].first, i, j);
      ++i;
      ++j;
    }
  }
}

struct Flow {
  size_t request, offer, key;
  int64_t amount;
  double score;
};

AllocationResult assemble(const Prepared& p, std::vector<Flow> flows) {
  std::sort(flows.begin(), flows.end(), [](const Flow& a, const Flow& b) {
    return std::tie(a.request, a.offer, a.key) < std::tie(b.request, b.offer, b.key);
  });
  AllocationResult out;
  out.keys.resize(p.keys.size());
  for (size_t k = 0; k < p.keys.size(); ++k) {
    out.keys[k].resource = p.keys[k].resource;
    out.keys[k].unit = p.keys[k].unit;
  }
  for (const auto& caps : p.cap) {
    for (const auto& [k, amount] : caps) out.keys[k].capacity += static_cast<double>(amount);
  }
  // served[request][i] for need i of the request.
  std::vector<std::vector<int64_t>> served(p.need.size());
  for (size_t r = 0; r < p.need.size(); ++r) served[r].assign(p.need[r].size(), 0);
  for (const auto& f : flows) {
    const auto& key = p.keys[f.key];
    const double amount = static_cast<double>(f.amount);
    out.allocations.push_back({f.request, f.offer, key.resource, key.unit, amount, f.score});
    out.keys[f.key].served += amount;
    out.keys[f.key].weighted += f.score * amount;
    const auto& needs = p.need[f.request];
    for (size_t i = 0; i < needs.size(); ++i) {
      if (needs[i].first == f.key) served[f.request][i] += f.amount;
    }
  }
  for (size_t r = 0; r < p.need.size(); ++r) {
    if (p.need[r].empty()) continue;
    ++out.requests_with_needs;
    bool all = true, any = false;
    for (size_t i = 0; i < p.need[r].size(); ++i) {
      const auto [k, need] = p.need[r][i];
      const int64_t got = served[r][i];
      out.needs.push_back({r, p.keys[k].resource, p.keys[k].unit, static_cast<double>(need), static_cast<double>(got),
                           static_cast<double>(need - got)});
      out.keys[k].need += static_cast<double>(need);
      all = all && got >= need;
      any = any || got > 0;
    }
    if (all) ++out.fully_served;
    else if (any) ++out.partly_served;
    else ++out.unserved;
  }
  for (const auto& k : out.keys) {
    out.served += k.served;
    out.weighted += k.weighted;
    out.need += k.need;
  }
  return out;
}

// A candidate edge on one key.
struct KeyEdge {
  size_t request, offer;
  double score;
};

Result<std::vector<Flow>> solve_key(const Prepared& p, size_t key, const std::vector<KeyEdge>& edges,
                                    const AllocationOptions& options) {
  using Graph = lemon::SmartDigraph;
  Graph g;
  const Graph::Node s = g.addNode(), t = g.addNode();
  std::map<size_t, Graph::Node> offer_node, request_node;
  Graph::ArcMap<int64_t> upper(g), cost(g);
  int64_t total_cap = 0;
  const auto amount_of = [&](const std::vector<std::pair<size_t, int64_t>>& amounts) {
    for (const auto& [k, a] : amounts) {
      if (k == key) return a;
    }
    return int64_t{0};
  };
  for (const auto& e : edges) {
    if (!offer_node.count(e.offer)) {
      const auto n = g.addNode();
      offer_node.emplace(e.offer, n);
      const int64_t cap = amount_of(p.cap[e.offer]);
      total_cap += cap;
      const auto a = g.addArc(s, n);
      upper[a] = cap;
      cost[a] = 0;
    }
    if (!request_node.count(e.request)) {
      const auto n = g.addNode();
      request_node.emplace(e.request, n);
      const auto a = g.addArc(n, t);
      upper[a] = amount_of(p.need[e.request]);
      cost[a] = 0;
    }
  }
  // Costs stay inside 62 bits: scale × total flow, and potentials along any path.
  const int64_t limit = (int64_t{1} << 62) / std::max<int64_t>(1, total_cap) / std::max<int64_t>(1, g.nodeNum());
  const int64_t scale = std::max<int64_t>(1, std::min(options.scale, limit));
  std::vector<Graph::Arc> edge_arcs;
  edge_arcs.reserve(edges.size());
  for (const auto& e : edges) {
    const auto a = g.addArc(offer_node.at(e.offer), request_node.at(e.request));
    upper[a] = std::min(amount_of(p.cap[e.offer]), amount_of(p.need[e.request]));
    cost[a] = -static_cast<int64_t>(std::llround(e.score * static_cast<double>(scale)));
    edge_arcs.push_back(a);
  }
  // The bypass takes whatever is not worth sending (kWeighted); closed for kServed, where
  // the supply is exactly the maximum flow.
  const auto bypass = g.addArc(s, t);
  cost[bypass] = 0;
  int64_t supply = total_cap;
  if (options.objective == AllocationObjective::kServed) {
    upper[bypass] = 0;
    lemon::Preflow<Graph, Graph::ArcMap<int64_t>> preflow(g, upper, s, t);
    preflow.run();
    supply = preflow.flowValue();
  } else {
    upper[bypass] = total_cap;
  }
  lemon::NetworkSimplex<Graph, int64_t, int64_t> simplex(g);
  simplex.upperMap(upper).costMap(cost).stSupply(s, t, supply);
  const auto status = simplex.run();
  if (status != lemon::NetworkSimplex<Graph, int64_t, int64_t>::OPTIMAL) {
    return make_error(ErrorCode::kInternal, "allocation: min-cost flow for " + p.keys[key].resource + "/" +
                                                p.keys[key].unit + " found no optimum");
  }
  std::vector<Flow> flows;
  for (size_t i = 0; i < edges.size(); ++i) {
    const int64_t f = simplex.flow(edge_arcs[i]);
    if (f > 0) flows.push_back({edges[i].request, edges[i].offer, key, f, edges[i].score});
  }
  return flows;
}

}  // namespace

Result<AllocationObjective> parse_allocation_objective(std::string_view name) {
  const std::string n = lower(name);
  if (n == "weighted") return AllocationObjective::kWeighted;
  if (n == "served") return AllocationObjective::kServed;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown allocation objective '" + std::string(name) + "' (weighted or served)");
}

std::string_view allocation_objective_name(AllocationObjective objective) {
  return objective == AllocationObjective::kServed ? "served" : "weighted";
}

CanonicalUnit canonical_unit(std::string_view unit_word) {
  const std::string u = lower(unit_word);
  static const std::map<std::string, CanonicalUnit, std::less<>> kUnits = {
      {"", {"count", 1}},          {"units", {"count", 1}},      {"unit", {"count", 1}},
      {"pieces", {"count", 1}},    {"pcs", {"count", 1}},        {"unites", {"count", 1}},
      {"pezzi", {"count", 1}},     {"kg", {"kg", 1}},            {"kgs", {"kg", 1}},
      {"kilos", {"kg", 1}},        {"kilo", {"kg", 1}},          {"tonnes", {"kg", 1000}},
      {"tonne", {"kg", 1000}},     {"tons", {"kg", 1000}},       {"ton", {"kg", 1000}},
      {"mt", {"kg", 1000}},        {"metric", {"kg", 1000}},     {"toneladas", {"kg", 1000}},
      {"tonnellate", {"kg", 1000}}, {"litres", {"l", 1}},        {"liters", {"l", 1}},
      {"litre", {"l", 1}},         {"liter", {"l", 1}},          {"l", {"l", 1}},
      {"lt", {"l", 1}},            {"ltr", {"l", 1}},            {"litros", {"l", 1}},
      {"gallons", {"l", 3.785411784}}, {"gallon", {"l", 3.785411784}},
      {"sacks", {"sacks", 1}},     {"sacos", {"sacks", 1}},      {"sacs", {"sacks", 1}},
      {"sak", {"sacks", 1}},       {"sacchi", {"sacks", 1}},     {"bags", {"bags", 1}},
      {"bolsas", {"bags", 1}},     {"boxes", {"boxes", 1}},      {"cajas", {"boxes", 1}},
      {"cartons", {"cartons", 1}}, {"packets", {"packets", 1}},  {"packs", {"packets", 1}},
      {"sachets", {"sachets", 1}}, {"bottles", {"bottles", 1}},  {"bidones", {"jerrycans", 1}},
      {"trucks", {"trucks", 1}},   {"tablets", {"tablets", 1}},
  };
  if (const auto it = kUnits.find(u); it != kUnits.end()) return it->second;
  return {u, 1};  // another container word: its own unit
}

Result<std::vector<ResourceAmount>> amounts_from_extraction(std::string_view extraction_json, bool is_offer,
                                                            Unquantified unquantified) {
  std::vector<ResourceAmount> out;
  if (extraction_json.empty()) return out;
  const auto bad = [](const std::string& why) {
    return make_error(ErrorCode::kParseError, "extraction record: " + why);
  };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(extraction_json.data(), extraction_json.size()).get(root) != simdjson::SUCCESS) {
    return bad("not valid JSON");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return bad("not a JSON object");

  struct Q {
    std::string resource, amount, unit, currency;
    bool bound = false, used = false;
  };
  std::vector<Q> quantities;
  simdjson::dom::array arr;
  if (obj["quantities"].get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      Q q;
      std::string_view sv;
      if (e["amount"].get_string().get(sv) != simdjson::SUCCESS) return bad("a quantity without a string amount");
      q.amount = std::string(sv);
      if (e["resource"].get_string().get(sv) == simdjson::SUCCESS) {
        q.resource = std::string(sv);
        q.bound = true;
      }
      if (e["unit"].get_string().get(sv) == simdjson::SUCCESS) q.unit = std::string(sv);
      if (e["currency"].get_string().get(sv) == simdjson::SUCCESS) q.currency = upper(sv);
      quantities.push_back(std::move(q));
    }
  } else if (obj["quantities"].error() != simdjson::NO_SUCH_FIELD) {
    return bad("quantities is not an array");
  }

  std::map<Key, ResourceAmount> sums;
  std::vector<std::string> unquantified_classes, quantified_classes;
  const auto add = [&](const std::string& resource, const Q& q) -> Status {
    const auto parsed = parse_amount(q.amount);
    if (!parsed) return bad("amount '" + q.amount + "' is not a number or range");
    const double value = is_offer ? parsed->low : parsed->high;
    Key key;
    double factor = 1;
    if (!q.currency.empty()) {
      key = {"cash", q.currency};
    } else {
      const auto cu = canonical_unit(q.unit);
      key = {resource, cu.unit};
      factor = cu.factor;
    }
    auto& slot = sums[key];
    slot.resource = key.resource;
    slot.unit = key.unit;
    slot.amount += value * factor;
    slot.vague = slot.vague || parsed->vague;
    quantified_classes.push_back(key.resource);
    return {};
  };

  if (obj["resources"].get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      std::string_view cls, text, amount;
      if (e["class"].get_string().get(cls) != simdjson::SUCCESS) return bad("a resource without a class");
      if (e["text"].get_string().get(text) != simdjson::SUCCESS) text = {};
      const std::string resource = lower(cls);
      if (e["quantity"].get_string().get(amount) != simdjson::SUCCESS) {
        unquantified_classes.push_back(resource);
        continue;
      }
      // The quantity record of this mention: same resource text and amount, first unused.
      Q* match = nullptr;
      for (auto& q : quantities) {
        if (!q.used && q.bound && q.resource == text && q.amount == amount) {
          match = &q;
          break;
        }
      }
      Q fallback;
      fallback.amount = std::string(amount);
      if (match != nullptr) match->used = true;
      if (auto st = add(resource, match != nullptr ? *match : fallback); !st) return tl::unexpected(st.error());
    }
  } else if (obj["resources"].error() != simdjson::NO_SUCH_FIELD) {
    return bad("resources is not an array");
  }
  // Money counts cash whether or not the extractor bound it to a cash word.
  for (const auto& q : quantities) {
    if (q.used || q.currency.empty()) continue;
    if (auto st = add("cash", q); !st) return tl::unexpected(st.error());
  }
  for (auto& [key, amount] : sums) {
    if (amount.amount >= 0.5) out.push_back(amount);
  }
  if (unquantified == Unquantified::kOnePost) {
    std::sort(unquantified_classes.begin(), unquantified_classes.end());
    unquantified_classes.erase(std::unique(unquantified_classes.begin(), unquantified_classes.end()),
                               unquantified_classes.end());
    for (const auto& cls : unquantified_classes) {
      if (std::find(quantified_classes.begin(), quantified_classes.end(), cls) != quantified_classes.end()) continue;
      out.push_back({cls, std::string(kPostUnit), 1, false});
    }
    std::sort(out.begin(), out.end(), [](const ResourceAmount& a, const ResourceAmount& b) {
      return Key{a.resource, a.unit} < Key{b.resource, b.unit};
    });
  }
  return out;
}

Result<AllocationResult> allocate(const AllocationProblem& problem, const AllocationOptions& options) {
  if (options.scale < 1) return make_error(ErrorCode::kInvalidArgument, "allocation: scale must be >= 1");
  auto prepared = prepare(problem);
  if (!prepared) return tl::unexpected(prepared.error());
  const Prepared& p = *prepared;
  std::vector<std::vector<KeyEdge>> by_key(p.keys.size());
  for (const auto& e : problem.edges) {
    for_shared_keys(p, e.request, e.offer,
                    [&](size_t key, size_t, size_t) { by_key[key].push_back({e.request, e.offer, e.score}); });
  }
  std::vector<Flow> flows;
  for (size_t k = 0; k < by_key.size(); ++k) {
    if (by_key[k].empty()) continue;
    auto f = solve_key(p, k, by_key[k], options);
    if (!f) return tl::unexpected(f.error());
    flows.insert(flows.end(), f->begin(), f->end());
  }
  return assemble(p, std::move(flows));
}

Result<AllocationResult> allocate_greedy(const AllocationProblem& problem) {
  auto prepared = prepare(problem);
  if (!prepared) return tl::unexpected(prepared.error());
  Prepared p = std::move(*prepared);
  const Prepared original = p;
  std::vector<size_t> order(problem.edges.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = problem.edges[a];
    const auto& y = problem.edges[b];
    if (x.score != y.score) return x.score > y.score;
    return std::tie(x.request, x.offer) < std::tie(y.request, y.offer);
  });
  std::vector<Flow> flows;
  for (const size_t i : order) {
    const auto& e = problem.edges[i];
    for_shared_keys(p, e.request, e.offer, [&](size_t key, size_t ni, size_t ci) {
      auto& need = p.need[e.request][ni].second;
      auto& cap = p.cap[e.offer][ci].second;
      const int64_t x = std::min(need, cap);
      if (x <= 0) return;
      need -= x;
      cap -= x;
      flows.push_back({e.request, e.offer, key, x, e.score});
    });
  }
  return assemble(original, std::move(flows));
}

}  // namespace crema::match
