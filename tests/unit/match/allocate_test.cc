// Quantity-aware allocation: reading amounts from extraction records, the min-cost flow
// against a brute-force optimum on tiny random instances, the greedy baseline, bad input.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/match/allocate.h"

namespace crema::match {
namespace {

ResourceAmount amt(const std::string& resource, double amount, const std::string& unit = "count") {
  return {resource, unit, amount, false};
}

const Allocation* find(const AllocationResult& r, size_t request, size_t offer) {
  for (const auto& a : r.allocations) {
    if (a.request == request && a.offer == offer) return &a;
  }
  return nullptr;
}

// --- amounts_from_extraction ---

TEST(AllocateAmounts, NeedOfTentsWithUnitAndRange) {
  const std::string rec =
      R"({"id":"1","resources":[{"text":"tents","class":"shelter","quantity":"500"},)"
      R"({"text":"rice","class":"food","quantity":"2"}],)"
      R"("quantities":[{"resource":"tents","amount":"500","text":"500"},)"
      R"({"resource":"rice","amount":"2","text":"2","unit":"tonnes"}]})";
  auto a = amounts_from_extraction(rec, false);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].resource, "food");
  EXPECT_EQ((*a)[0].unit, "kg");
  EXPECT_DOUBLE_EQ((*a)[0].amount, 2000);
  EXPECT_EQ((*a)[1].resource, "shelter");
  EXPECT_EQ((*a)[1].unit, "count");
  EXPECT_DOUBLE_EQ((*a)[1].amount, 500);
}

TEST(AllocateAmounts, RangeIsHighForNeedsAndLowForOffers) {
  const std::string rec =
      R"({"resources":[{"text":"blankets","class":"shelter","quantity":"50-100"}],)"
      R"("quantities":[{"resource":"blankets","amount":"50-100","text":"50 to 100"}]})";
  auto need = amounts_from_extraction(rec, false);
  auto cap = amounts_from_extraction(rec, true);
  ASSERT_TRUE(need && cap);
  ASSERT_EQ(need->size(), 1u);
  ASSERT_EQ(cap->size(), 1u);
  EXPECT_DOUBLE_EQ((*need)[0].amount, 100);
  EXPECT_DOUBLE_EQ((*cap)[0].amount, 50);
}

TEST(AllocateAmounts, VagueSumsAndUnquantifiedMentions) {
  // Two shelter counts sum; an unquantified shelter mention is ignored because shelter has
  // a quantity; water has none, so it is one "post" unit.
  const std::string rec =
      R"({"resources":[{"text":"tents","class":"shelter","quantity":"200"},)"
      R"({"text":"tarps","class":"shelter","quantity":"~10"},{"text":"blankets","class":"shelter"},)"
      R"({"text":"water","class":"water"}],)"
      R"("quantities":[{"resource":"tents","amount":"200","text":"200"},)"
      R"({"resource":"tarps","amount":"~10","text":"dozens"}]})";
  auto a = amounts_from_extraction(rec, false);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].resource, "shelter");
  EXPECT_DOUBLE_EQ((*a)[0].amount, 210);
  EXPECT_TRUE((*a)[0].vague);
  EXPECT_EQ((*a)[1].resource, "water");
  EXPECT_EQ((*a)[1].unit, std::string(kPostUnit));
  EXPECT_DOUBLE_EQ((*a)[1].amount, 1);

  auto excluded = amounts_from_extraction(rec, false, Unquantified::kExclude);
  ASSERT_TRUE(excluded.has_value());
  ASSERT_EQ(excluded->size(), 1u);
  EXPECT_EQ((*excluded)[0].resource, "shelter");
}

TEST(AllocateAmounts, MoneyIsCashInItsCurrencyBoundOrNot) {
  const std::string rec =
      R"({"resources":[{"text":"donations","class":"cash","quantity":"1000"}],)"
      R"("quantities":[{"resource":"donations","amount":"1000","text":"$1000","currency":"usd"},)"
      R"({"resource":null,"amount":"500","text":"€500","currency":"EUR"},)"
      R"({"resource":null,"amount":"30","text":"30"}]})";
  auto a = amounts_from_extraction(rec, true);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].resource, "cash");
  EXPECT_EQ((*a)[0].unit, "EUR");
  EXPECT_DOUBLE_EQ((*a)[0].amount, 500);
  EXPECT_EQ((*a)[1].unit, "USD");
  EXPECT_DOUBLE_EQ((*a)[1].amount, 1000);
}

TEST(AllocateAmounts, EmptyAndNoResources) {
  auto empty = amounts_from_extraction("", false);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  auto none = amounts_from_extraction(R"({"id":"x","resources":[],"quantities":[]})", false);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(AllocateAmounts, MalformedRecordsAreParseErrors) {
  for (const std::string bad : {"{", "[1,2]", R"({"resources":{}})", R"({"quantities":[{"amount":5}]})",
                                R"({"resources":[{"text":"x"}]})",
                                R"({"resources":[{"text":"x","class":"food","quantity":"lots"}],"quantities":[]})",
                                R"({"resources":[{"text":"x","class":"food","quantity":"9-3"}],"quantities":[]})"}) {
    auto a = amounts_from_extraction(bad, false);
    ASSERT_FALSE(a.has_value()) << bad;
    EXPECT_EQ(a.error().code, ErrorCode::kParseError) << bad;
    EXPECT_NE(a.error().message.find("extraction record"), std::string::npos);
  }
}

TEST(AllocateAmounts, CanonicalUnits) {
  EXPECT_EQ(canonical_unit("").unit, "count");
  EXPECT_EQ(canonical_unit("Pieces").unit, "count");
  EXPECT_EQ(canonical_unit("toneladas").unit, "kg");
  EXPECT_DOUBLE_EQ(canonical_unit("MT").factor, 1000);
  EXPECT_EQ(canonical_unit("gallons").unit, "l");
  EXPECT_NEAR(canonical_unit("gallons").factor, 3.785, 1e-3);
  EXPECT_EQ(canonical_unit("sacos").unit, "sacks");
  EXPECT_EQ(canonical_unit("bags").unit, "bags");
  EXPECT_EQ(canonical_unit("crates").unit, "crates");
}

TEST(AllocateObjective, Names) {
  EXPECT_EQ(*parse_allocation_objective("Served"), AllocationObjective::kServed);
  EXPECT_EQ(allocation_objective_name(*parse_allocation_objective("weighted")), "weighted");
  EXPECT_FALSE(parse_allocation_objective("max").has_value());
}

// --- allocate ---

TEST(Allocate, TentsPartlyServedWithRemainder) {
  AllocationProblem p;
  p.requests = {{amt("shelter", 500)}};
  p.offers = {{amt("shelter", 200)}};
  p.edges = {{0, 0, 0.8}};
  auto r = allocate(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_DOUBLE_EQ(r->allocations[0].amount, 200);
  EXPECT_DOUBLE_EQ(r->allocations[0].score, 0.8);
  ASSERT_EQ(r->needs.size(), 1u);
  EXPECT_DOUBLE_EQ(r->needs[0].need, 500);
  EXPECT_DOUBLE_EQ(r->needs[0].served, 200);
  EXPECT_DOUBLE_EQ(r->needs[0].remainder, 300);
  EXPECT_EQ(r->partly_served, 1u);
  EXPECT_DOUBLE_EQ(r->weighted, 160);
}

TEST(Allocate, BeatsGreedyWhenTheBestEdgeBlocksTwoRequests) {
  // Greedy gives offer 0 to request 0 (S 0.9) and leaves request 1 unserved; the optimum
  // sends offer 0 to request 1 and offer 1 to request 0.
  AllocationProblem p;
  p.requests = {{amt("food", 10)}, {amt("food", 10)}};
  p.offers = {{amt("food", 10)}, {amt("food", 10)}};
  p.edges = {{0, 0, 0.9}, {1, 0, 0.8}, {0, 1, 0.5}};
  auto opt = allocate(p);
  auto greedy = allocate_greedy(p);
  ASSERT_TRUE(opt && greedy);
  EXPECT_DOUBLE_EQ(greedy->served, 10);
  EXPECT_DOUBLE_EQ(greedy->weighted, 9);
  EXPECT_EQ(greedy->unserved, 1u);
  EXPECT_DOUBLE_EQ(opt->served, 20);
  EXPECT_NEAR(opt->weighted, 13, 1e-9);
  EXPECT_EQ(opt->fully_served, 2u);
  ASSERT_NE(find(*opt, 1, 0), nullptr);
  ASSERT_NE(find(*opt, 0, 1), nullptr);
}

TEST(Allocate, WeightedDoesNotForcePoorEdgesServedDoes) {
  AllocationProblem p;
  p.requests = {{amt("water", 1)}, {amt("water", 1)}};
  p.offers = {{amt("water", 1)}, {amt("water", 1)}};
  p.edges = {{0, 0, 0.9}, {1, 0, 0.1}, {0, 1, 0.1}};
  auto weighted = allocate(p);
  AllocationOptions served_opt;
  served_opt.objective = AllocationObjective::kServed;
  auto served = allocate(p, served_opt);
  ASSERT_TRUE(weighted && served);
  EXPECT_DOUBLE_EQ(weighted->served, 1);
  EXPECT_NEAR(weighted->weighted, 0.9, 1e-12);
  EXPECT_DOUBLE_EQ(served->served, 2);
  EXPECT_NEAR(served->weighted, 0.2, 1e-12);
}

TEST(Allocate, OnlySameResourceAndUnitFlow) {
  AllocationProblem p;
  p.requests = {{amt("food", 500, "kg"), amt("shelter", 10)}};
  p.offers = {{amt("food", 20, "bags")}, {amt("shelter", 4), amt("food", 100, "kg")}, {amt("cash", 50, "USD")}};
  p.edges = {{0, 0, 0.9}, {0, 1, 0.5}, {0, 2, 0.7}};
  auto r = allocate(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(find(*r, 0, 0), nullptr);
  EXPECT_EQ(find(*r, 0, 2), nullptr);
  ASSERT_EQ(r->allocations.size(), 2u);  // food kg and shelter from offer 1
  for (const auto& a : r->allocations) EXPECT_EQ(a.offer, 1u);
  ASSERT_EQ(r->needs.size(), 2u);
  EXPECT_DOUBLE_EQ(r->needs[0].remainder, 400);  // food kg
  EXPECT_DOUBLE_EQ(r->needs[1].remainder, 6);    // shelter
  ASSERT_EQ(r->keys.size(), 4u);                  // cash/USD, food/bags, food/kg, shelter/count
  EXPECT_EQ(r->keys[0].resource, "cash");
  EXPECT_DOUBLE_EQ(r->keys[0].capacity, 50);
  EXPECT_DOUBLE_EQ(r->keys[0].need, 0);
}

TEST(Allocate, UnquantifiedOfferServesOneRequest) {
  AllocationProblem p;
  const ResourceAmount one{"health", std::string(kPostUnit), 1, false};
  p.requests = {{one}, {one}, {one}};
  p.offers = {{one}};
  p.edges = {{0, 0, 0.3}, {1, 0, 0.7}, {2, 0, 0.5}};
  auto r = allocate(p);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].request, 1u);
  EXPECT_EQ(r->fully_served, 1u);
  EXPECT_EQ(r->unserved, 2u);
}

TEST(Allocate, HugeMoneyAmountsDoNotOverflow) {
  AllocationProblem p;
  p.requests = {{amt("cash", 1e12, "USD")}, {amt("cash", 1e12, "USD")}};
  p.offers = {{amt("cash", 1e12, "USD")}, {amt("cash", 5e11, "USD")}};
  p.edges = {{0, 0, 0.6}, {1, 0, 0.5}, {1, 1, 0.4}};
  auto r = allocate(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->served, 1.5e12);
  ASSERT_NE(find(*r, 0, 0), nullptr);
  EXPECT_DOUBLE_EQ(find(*r, 0, 0)->amount, 1e12);
  EXPECT_DOUBLE_EQ(find(*r, 1, 1)->amount, 5e11);
}

TEST(Allocate, BadInputIsRefusedNamingTheItem) {
  const auto expect_bad = [](AllocationProblem p, const std::string& needle) {
    auto r = allocate(p);
    ASSERT_FALSE(r.has_value()) << needle;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    EXPECT_FALSE(allocate_greedy(p).has_value());
  };
  AllocationProblem base;
  base.requests = {{amt("food", 5)}};
  base.offers = {{amt("food", 5)}};
  AllocationProblem p = base;
  p.edges = {{0, 3, 0.5}};
  expect_bad(p, "edge 0");
  p.edges = {{0, 0, 0.0}};
  expect_bad(p, "score");
  p.edges = {{0, 0, std::nan("")}};
  expect_bad(p, "score");
  p.edges = {{0, 0, 0.5}, {0, 0, 0.4}};
  expect_bad(p, "edge 1");
  p = base;
  p.offers[0][0].amount = -2;
  expect_bad(p, "offer 0");
  p = base;
  p.requests[0][0].unit.clear();
  expect_bad(p, "request 0");
  p = base;
  p.requests[0][0].amount = 1e13;
  expect_bad(p, "request 0");
  AllocationOptions zero;
  zero.scale = 0;
  EXPECT_FALSE(allocate(base, zero).has_value());
}

TEST(Allocate, EmptyProblem) {
  auto r = allocate(AllocationProblem{});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->allocations.empty());
  EXPECT_EQ(r->requests_with_needs, 0u);
}

// --- properties on random instances ---

struct Instance {
  AllocationProblem problem;
};

Instance random_instance(std::mt19937& rng, size_t max_side, int max_amount, double edge_p) {
  std::uniform_int_distribution<size_t> side(1, max_side);
  std::uniform_int_distribution<int> amount(1, max_amount);
  std::uniform_int_distribution<int> score(1, 20);  // S in steps of 0.05: exact sums
  std::bernoulli_distribution has(0.7), edge(edge_p);
  const char* resources[] = {"food", "water"};
  Instance in;
  const size_t nr = side(rng), no = side(rng);
  for (size_t r = 0; r < nr; ++r) {
    std::vector<ResourceAmount> needs;
    for (const char* res : resources) {
      if (has(rng)) needs.push_back(amt(res, amount(rng)));
    }
    in.problem.requests.push_back(needs);
  }
  for (size_t o = 0; o < no; ++o) {
    std::vector<ResourceAmount> caps;
    for (const char* res : resources) {
      if (has(rng)) caps.push_back(amt(res, amount(rng)));
    }
    in.problem.offers.push_back(caps);
  }
  for (size_t r = 0; r < nr; ++r) {
    for (size_t o = 0; o < no; ++o) {
      if (edge(rng)) in.problem.edges.push_back({r, o, 0.05 * score(rng)});
    }
  }
  return in;
}

double amount_of(const std::vector<ResourceAmount>& v, const std::string& resource) {
  for (const auto& a : v) {
    if (a.resource == resource) return a.amount;
  }
  return 0;
}

// Checks capacity, need and edge constraints; returns (served, weighted) recomputed.
void check_feasible(const AllocationProblem& p, const AllocationResult& r) {
  std::map<std::pair<size_t, std::string>, double> out_of, into;
  for (const auto& a : r.allocations) {
    EXPECT_GT(a.amount, 0);
    bool edge = false;
    for (const auto& e : p.edges) edge = edge || (e.request == a.request && e.offer == a.offer && e.score == a.score);
    EXPECT_TRUE(edge) << "allocation without a candidate edge";
    out_of[{a.offer, a.resource}] += a.amount;
    into[{a.request, a.resource}] += a.amount;
  }
  for (const auto& [k, v] : out_of) EXPECT_LE(v, amount_of(p.offers[k.first], k.second)) << "capacity";
  for (const auto& [k, v] : into) EXPECT_LE(v, amount_of(p.requests[k.first], k.second)) << "need";
  for (const auto& u : r.needs) {
    EXPECT_DOUBLE_EQ(u.served, (into.count({u.request, u.resource}) ? into.at({u.request, u.resource}) : 0.0));
    EXPECT_DOUBLE_EQ(u.remainder, u.need - u.served);
    EXPECT_GE(u.remainder, 0);
  }
}

// Brute force: every integer amount on every (edge, shared resource); the best (served,
// weighted) pair under the objective, in integer units of 0.05 for the weight.
std::pair<int64_t, int64_t> brute_force(const AllocationProblem& p, AllocationObjective objective) {
  struct Var {
    size_t request, offer;
    std::string resource;
    int64_t bound, weight;  // weight: S / 0.05
  };
  std::vector<Var> vars;
  for (const auto& e : p.edges) {
    for (const auto& n : p.requests[e.request]) {
      const double c = amount_of(p.offers[e.offer], n.resource);
      if (c > 0) {
        vars.push_back({e.request, e.offer, n.resource, static_cast<int64_t>(std::min(c, n.amount)),
                        std::llround(e.score / 0.05)});
      }
    }
  }
  std::pair<int64_t, int64_t> best{0, 0};
  std::vector<int64_t> x(vars.size(), 0);
  std::function<void(size_t)> rec = [&](size_t i) {
    if (i == vars.size()) {
      std::map<std::pair<size_t, std::string>, int64_t> out_of, into;
      int64_t served = 0, weighted = 0;
      for (size_t v = 0; v < vars.size(); ++v) {
        out_of[{vars[v].offer, vars[v].resource}] += x[v];
        into[{vars[v].request, vars[v].resource}] += x[v];
        served += x[v];
        weighted += x[v] * vars[v].weight;
      }
      for (const auto& [k, v] : out_of) {
        if (static_cast<double>(v) > amount_of(p.offers[k.first], k.second)) return;
      }
      for (const auto& [k, v] : into) {
        if (static_cast<double>(v) > amount_of(p.requests[k.first], k.second)) return;
      }
      if (objective == AllocationObjective::kServed) {
        if (std::pair{served, weighted} > best) best = {served, weighted};
      } else if (weighted > best.second) {
        best = {served, weighted};
      }
      return;
    }
    for (x[i] = 0; x[i] <= vars[i].bound; ++x[i]) rec(i + 1);
    x[i] = 0;
  };
  rec(0);
  return best;
}

TEST(AllocateProperty, OptimumEqualsBruteForceOnTinyInstances) {
  std::mt19937 rng(20261205);
  int checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    auto in = random_instance(rng, 3, 3, 0.6);
    // Keep the enumeration small: at most 7 variables of at most 4 values.
    size_t vars = 0;
    for (const auto& e : in.problem.edges) {
      for (const auto& n : in.problem.requests[e.request]) vars += amount_of(in.problem.offers[e.offer], n.resource) > 0;
    }
    if (vars > 7) continue;
    ++checked;
    for (const auto objective : {AllocationObjective::kWeighted, AllocationObjective::kServed}) {
      AllocationOptions options;
      options.objective = objective;
      auto r = allocate(in.problem, options);
      ASSERT_TRUE(r.has_value()) << r.error().message;
      check_feasible(in.problem, *r);
      const auto [served, weighted] = brute_force(in.problem, objective);
      EXPECT_NEAR(r->weighted, 0.05 * static_cast<double>(weighted), 1e-9) << "trial " << trial;
      if (objective == AllocationObjective::kServed) {
        EXPECT_DOUBLE_EQ(r->served, static_cast<double>(served)) << "trial " << trial;
      }
      auto greedy = allocate_greedy(in.problem);
      ASSERT_TRUE(greedy.has_value());
      check_feasible(in.problem, *greedy);
      if (objective == AllocationObjective::kWeighted) EXPECT_LE(greedy->weighted, r->weighted + 1e-9);
      else EXPECT_LE(greedy->served, r->served);
    }
  }
  EXPECT_GT(checked, 150);
}

TEST(AllocateProperty, LargerInstancesStayFeasibleAndBeatGreedy) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 30; ++trial) {
    auto in = random_instance(rng, 40, 500, 0.15);
    auto r = allocate(in.problem);
    auto g = allocate_greedy(in.problem);
    ASSERT_TRUE(r && g);
    check_feasible(in.problem, *r);
    check_feasible(in.problem, *g);
    EXPECT_GE(r->weighted + 1e-6, g->weighted);
    auto again = allocate(in.problem);
    ASSERT_TRUE(again.has_value());
    ASSERT_EQ(again->allocations.size(), r->allocations.size());
    for (size_t i = 0; i < r->allocations.size(); ++i) {
      EXPECT_EQ(again->allocations[i].request, r->allocations[i].request);
      EXPECT_EQ(again->allocations[i].offer, r->allocations[i].offer);
      EXPECT_EQ(again->allocations[i].amount, r->allocations[i].amount);
    }
  }
}

}  // namespace
}  // namespace crema::match
