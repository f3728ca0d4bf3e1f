// crema/match/allocate.h: quantity-aware allocation (Dutt §9, future work) — when requests
// and offers carry quantities ("need 500 tents" / "can give 200 tents"), share each offer's
// capacity among the requests it matches so that the served quantity, weighted by the match
// score S, is as large as possible; report which offer covers which share of which request
// and what stays unmet. docs/allocation.md.
//
// Model. Every request has needs and every offer capacities, each an amount of one
// (resource, unit) key: the extractor's resource class ("shelter", "water", "blood", …; the
// fine classes, so water is not food) and a canonical unit (rules below). An
// amount only flows between a need and a capacity of the same key, along a candidate edge
// (request, offer, S) from the matcher with S > 0. Per key this is a min-cost flow:
//   source → offer (capacity) → request (cost −round(S·scale)) → sink (need).
// Objectives:
//   kWeighted  maximise Σ S·amount (the "served quantity weighted by S"): a unit is
//              only sent where it earns S; a poor edge is never forced just to serve more.
//   kServed    min-cost MAX-flow: serve the largest total amount first, then, among those,
//              maximise Σ S·amount.
// Solved exactly with LEMON's NetworkSimplex (kServed: Preflow for the maximum first).
// allocate_greedy() is the baseline a dispatcher would do by hand: edges by S, highest
// first, each takes min(capacity left, need left).
//
// Units: amounts are compared only within one canonical unit —
//   count  no unit, "units", "pieces", "pcs", "unites", "pezzi"
//   kg     kg/kgs/kilos (×1), tonnes/tons/mt/toneladas/tonnellate (×1000)
//   l      litres/liters/l/lt/ltr/litros (×1), gallons (×3.785411784)
//   a container word ("bags", "sacks", "boxes", "bottles", "trucks", …) is its own unit,
//   with Spanish/French/Italian/Kreyòl forms mapped to the English plural ("sacos" → "sacks")
//   money: the ISO currency ("USD", "INR", …); money is always resource "cash"
// so 2 tonnes of rice can serve a need of 500 kg of food, but 20 bags of rice cannot serve
// 500 kg, and USD never serves INR (no exchange rates).
// Amounts are rounded to whole units of the canonical unit (a need of 0.4 kg is dropped).
// A range ("50-100") is read as its high end for a need (what is asked for) and its low end
// for a capacity (what is promised); a vague amount ("dozens" → ~10) as its value.
//
// Posts without a quantity (Unquantified below): a request that names a resource but no
// amount, or an offer that does, cannot be shared out by amount. By default each becomes one
// unit of the key (resource, "post"): an unquantified offer can serve one unquantified
// request of its resource — a capacity-aware one-to-one assignment, so one vague offer is
// not promised to ten requests. Quantified and unquantified amounts never mix (500 tents
// cannot be served by "we have tents"); such requests show as unmet with their candidates
// left for the dispatcher. kExclude drops unquantified posts altogether.
//
// Thread safety: free functions over their arguments; safe to call concurrently.
// Failures: kInvalidArgument for an edge naming a request/offer out of range, a non-finite
// or non-positive amount or score, an empty resource/unit; kParseError for extraction JSON
// that is not an extraction record (naming the reason). LEMON does not throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::match {

// An amount of one resource in one canonical unit (a need or a capacity).
struct ResourceAmount {
  std::string resource;  // extractor class name, lower case ("shelter", "cash", …)
  std::string unit;      // canonical unit: "count", "kg", "l", a container, a currency, "post"
  double amount = 0;     // > 0, in `unit`
  bool vague = false;    // from a vague quantity ("dozens", "hundreds")
};

// The unit of unquantified posts: one request / one offer.
inline constexpr std::string_view kPostUnit = "post";

enum class Unquantified { kOnePost, kExclude };
enum class AllocationObjective { kWeighted, kServed };

// "weighted" / "served".
Result<AllocationObjective> parse_allocation_objective(std::string_view name);
std::string_view allocation_objective_name(AllocationObjective objective);

// The canonical unit and factor of an extracted quantity's unit word (lower- or mixed-case;
// empty = a plain count): amount_in_canonical = amount * factor. Money is handled by the
// caller (unit = currency).
struct CanonicalUnit {
  std::string unit;
  double factor = 1;
};
CanonicalUnit canonical_unit(std::string_view unit_word);

// The needs (is_offer false) or capacities (is_offer true) of one post from its extraction
// record (crema/extract/record.h, docs/extraction.md: resources[{class, quantity}] and
// quantities[{resource, amount, unit, currency}]). Amounts of one key are summed within the
// post (200 tents + 100 tarpaulins = 300 count of shelter). A class mentioned only without a
// quantity gives one (class, "post") unit unless unquantified is kExclude; a class with any
// quantified mention ignores its unquantified mentions. Money quantities count for "cash" in
// their currency, bound to a resource or not; other quantities bound to no resource are
// ignored. An empty string gives no amounts. Result in (resource, unit) order.
Result<std::vector<ResourceAmount>> amounts_from_extraction(std::string_view extraction_json, bool is_offer,
                                                            Unquantified unquantified = Unquantified::kOnePost);

// A matcher candidate: offer may serve request with score S (> 0).
struct CandidateEdge {
  size_t request = 0;  // index into AllocationProblem::requests
  size_t offer = 0;    // index into AllocationProblem::offers
  double score = 0;    // S in (0, 1]
};

struct AllocationProblem {
  std::vector<std::vector<ResourceAmount>> requests;  // the needs of each request
  std::vector<std::vector<ResourceAmount>> offers;    // the capacities of each offer
  std::vector<CandidateEdge> edges;                   // at most one per (request, offer)
};

struct AllocationOptions {
  AllocationObjective objective = AllocationObjective::kWeighted;
  // Cost resolution: S is rounded to 1/scale. Lowered per key when scale × total capacity
  // would not fit in 62 bits (a huge money network), so costs never overflow.
  int64_t scale = 1'000'000;
};

// One share: `amount` of (resource, unit) goes from offer to request.
struct Allocation {
  size_t request = 0, offer = 0;
  std::string resource, unit;
  double amount = 0;
  double score = 0;  // S of the edge
};

// A request's need of one key and what it got.
struct Unmet {
  size_t request = 0;
  std::string resource, unit;
  double need = 0, served = 0;
  double remainder = 0;  // need − served (0 when fully served)
};

// Per key: totals in that key's unit.
struct KeyTotals {
  std::string resource, unit;
  double need = 0, capacity = 0, served = 0;
  double weighted = 0;  // Σ S·amount
};

struct AllocationResult {
  std::vector<Allocation> allocations;  // by request, then offer, then key
  std::vector<Unmet> needs;             // every (request, key) need, by request then key
  std::vector<KeyTotals> keys;          // by (resource, unit)
  // Sums over every key (amounts in different units added: compare runs on the same
  // input only).
  double served = 0, weighted = 0, need = 0;
  size_t requests_with_needs = 0, fully_served = 0, partly_served = 0, unserved = 0;
};

// The optimum of options.objective. Deterministic for equal inputs.
Result<AllocationResult> allocate(const AllocationProblem& problem, const AllocationOptions& options = {});
// The greedy baseline: edges by S (highest first; ties by request then offer index), each
// serves min(capacity left, need left) on every shared key.
Result<AllocationResult> allocate_greedy(const AllocationProblem& problem);

}  // namespace crema::match
