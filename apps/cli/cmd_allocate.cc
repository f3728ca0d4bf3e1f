// crema allocate: share the stored offers' quantities among the stored requests' needs
// (min-cost flow weighted by the match score S, or the greedy baseline) and write who covers
// what and what stays unmet (docs/allocation.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/match/allocate.h"
#include "crema/match/matcher.h"
#include "crema/store/store.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct AllocateArgs {
  std::string db;
  std::string out;
  bool greedy = false;
  bool compare = false;
  std::string objective = "weighted";
  std::string unquantified = "one";
  PipelineFlags pipeline;
};

// One side (requests or offers) with amounts, as the matcher and the allocator see it.
struct Side {
  std::vector<std::string> ids;
  std::vector<match::MatchPost> posts;
  std::vector<float> vectors;
  std::vector<std::vector<match::ResourceAmount>> amounts;
  size_t loaded = 0;            // posts of this label with an embedding
  size_t bad_extractions = 0;   // unreadable extraction records (skipped, warned)
};

Result<Side> load_side(store::Store& db, Label label, match::Unquantified unquantified, size_t& dim) {
  auto rows = db.load_for_matching(label);
  if (!rows) return tl::unexpected(rows.error());
  Side side;
  side.loaded = rows->size();
  for (auto& row : *rows) {
    auto post = db.get_post(row.id);
    if (!post) return tl::unexpected(post.error());
    if (!*post) continue;
    auto amounts = match::amounts_from_extraction((*post)->extraction_json, label == Label::kOffer, unquantified);
    if (!amounts) {
      ++side.bad_extractions;
      std::fprintf(stderr, "crema allocate: warning: post %s: %s (skipped)\n", row.id.c_str(),
                   amounts.error().message.c_str());
      continue;
    }
    if (amounts->empty()) continue;
    if (dim == 0) dim = row.embedding.size();
    if (row.embedding.size() != dim) {
      return make_error(ErrorCode::kCorrupt, "post " + row.id + ": embedding of " + std::to_string(row.embedding.size()) +
                                                 " values, others have " + std::to_string(dim));
    }
    match::MatchPost mp;
    mp.time_ms = row.created_at_ms;
    mp.geo = row.geo;
    mp.radius_km = row.radius_km;
    mp.resources = row.resources;
    side.ids.push_back(row.id);
    side.posts.push_back(std::move(mp));
    side.vectors.insert(side.vectors.end(), row.embedding.begin(), row.embedding.end());
    side.amounts.push_back(std::move(*amounts));
  }
  return side;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

Status write_outputs(const std::string& out, const Side& req, const Side& off, const match::AllocationResult& r) {
  if (auto st = ensure_directory(out); !st) return st;
  std::string jsonl, csv = "request_id,offer_id,resource,unit,amount,score\n";
  for (const auto& a : r.allocations) {
    JsonWriter w;
    w.begin_object().key("request_id").value(req.ids[a.request]).key("offer_id").value(off.ids[a.offer]);
    w.key("resource").value(a.resource).key("unit").value(a.unit).key("amount").value(a.amount);
    w.key("score").value(a.score).end_object();
    jsonl += w.take() + "\n";
    csv += csv_field(req.ids[a.request]) + "," + csv_field(off.ids[a.offer]) + "," + csv_field(a.resource) + "," +
           csv_field(a.unit) + "," + number(a.amount) + "," + number(a.score) + "\n";
  }
  std::string unmet = "request_id,resource,unit,need,served,remainder\n";
  for (const auto& u : r.needs) {
    if (u.remainder <= 0) continue;
    unmet += csv_field(req.ids[u.request]) + "," + csv_field(u.resource) + "," + csv_field(u.unit) + "," +
             number(u.need) + "," + number(u.served) + "," + number(u.remainder) + "\n";
  }
  if (auto st = write_file_atomic(out + "/allocations.jsonl", jsonl); !st) return st;
  if (auto st = write_file_atomic(out + "/allocations.csv", csv); !st) return st;
  return write_file_atomic(out + "/unmet.csv", unmet);
}

void totals_json(JsonWriter& w, const match::AllocationResult& r) {
  w.begin_object();
  w.key("allocations").value(static_cast<uint64_t>(r.allocations.size()));
  w.key("need").value(r.need).key("served").value(r.served).key("weighted").value(r.weighted);
  w.key("requests_with_needs").value(static_cast<uint64_t>(r.requests_with_needs));
  w.key("fully_served").value(static_cast<uint64_t>(r.fully_served));
  w.key("partly_served").value(static_cast<uint64_t>(r.partly_served));
  w.key("unserved").value(static_cast<uint64_t>(r.unserved));
  w.key("keys").begin_array();
  for (const auto& k : r.keys) {
    w.begin_object().key("resource").value(k.resource).key("unit").value(k.unit).key("need").value(k.need);
    w.key("capacity").value(k.capacity).key("served").value(k.served).key("weighted").value(k.weighted).end_object();
  }
  w.end_array().end_object();
}

void print_totals(const char* title, const match::AllocationResult& r) {
  std::printf("%s: %zu allocations; requests with needs %zu: %zu fully, %zu partly served, %zu unserved\n", title,
              r.allocations.size(), r.requests_with_needs, r.fully_served, r.partly_served, r.unserved);
  std::printf("  %-12s %-10s %14s %14s %14s %14s\n", "resource", "unit", "need", "capacity", "served", "S-weighted");
  for (const auto& k : r.keys) {
    std::printf("  %-12s %-10s %14.10g %14.10g %14.10g %14.2f\n", k.resource.c_str(), k.unit.c_str(), k.need,
                k.capacity, k.served, k.weighted);
  }
  std::printf("  %-23s %14.10g %14s %14.10g %14.2f\n", "all (mixed units)", r.need, "", r.served, r.weighted);
}

int run_allocate(const AllocateArgs& args, const GlobalOptions& global) {
  auto objective = match::parse_allocation_objective(args.objective);
  if (!objective) return usage_error(objective.error().message);
  if (args.unquantified != "one" && args.unquantified != "exclude") {
    return usage_error("--unquantified must be one or exclude");
  }
  if (args.greedy && args.compare) return usage_error("--greedy and --compare cannot be combined");
  const auto unquantified = args.unquantified == "one" ? match::Unquantified::kOnePost : match::Unquantified::kExclude;
  auto params = match_params(args.pipeline);
  if (!params) return report_error(params.error());
  params->threads = global.threads;
  std::error_code ec;
  if (!std::filesystem::exists(args.db, ec)) {
    return report_error(Error{ErrorCode::kNotFound, args.db + ": no such store"});
  }
  auto db = store::Store::open(args.db);
  if (!db) return report_error(db.error());

  size_t dim = 0;
  auto req = load_side(**db, Label::kRequest, unquantified, dim);
  if (!req) return report_error(req.error());
  auto off = load_side(**db, Label::kOffer, unquantified, dim);
  if (!off) return report_error(off.error());

  match::AllocationProblem problem;
  problem.requests = req->amounts;
  problem.offers = off->amounts;
  size_t edges_scored = 0;
  if (!req->ids.empty() && !off->ids.empty()) {
    const match::MatchSet requests{req->posts, req->vectors, dim};
    const match::MatchSet offers{off->posts, off->vectors, dim};
    auto matches = match::match(requests, offers, *params);
    if (!matches) return report_error(matches.error());
    for (const auto& rm : *matches) {
      for (const auto& so : rm.offers) {
        // A request_and_offer post is on both sides: it does not serve itself.
        if (so.score <= 0 || req->ids[rm.request] == off->ids[so.offer]) continue;
        problem.edges.push_back({rm.request, so.offer, std::min(1.0, static_cast<double>(so.score))});
        ++edges_scored;
      }
    }
  }

  match::AllocationOptions options;
  options.objective = *objective;
  auto result = args.greedy ? match::allocate_greedy(problem) : match::allocate(problem, options);
  if (!result) return report_error(result.error());
  Result<match::AllocationResult> greedy = match::AllocationResult{};
  if (args.compare) {
    greedy = match::allocate_greedy(problem);
    if (!greedy) return report_error(greedy.error());
  }

  const std::string out = args.out.empty()
                              ? (std::filesystem::path(args.db).parent_path() / "allocation").string()
                              : args.out;
  if (auto st = write_outputs(out, *req, *off, *result); !st) return report_error(st.error());

  const std::string solver = args.greedy ? "greedy" : std::string(match::allocation_objective_name(*objective));
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("db").value(args.db).key("out").value(out).key("solver").value(solver);
    w.key("requests").value(static_cast<uint64_t>(req->loaded)).key("offers").value(static_cast<uint64_t>(off->loaded));
    w.key("requests_with_amounts").value(static_cast<uint64_t>(req->ids.size()));
    w.key("offers_with_amounts").value(static_cast<uint64_t>(off->ids.size()));
    w.key("bad_extractions").value(static_cast<uint64_t>(req->bad_extractions + off->bad_extractions));
    w.key("edges").value(static_cast<uint64_t>(edges_scored));
    w.key("result");
    totals_json(w, *result);
    if (args.compare) {
      w.key("greedy");
      totals_json(w, *greedy);
    }
    w.end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("crema allocate: %zu of %zu requests and %zu of %zu offers carry amounts; %zu candidate edges\n",
                req->ids.size(), req->loaded, off->ids.size(), off->loaded, edges_scored);
    print_totals(args.greedy ? "greedy (highest S first)" : ("optimal (" + solver + ")").c_str(), *result);
    if (args.compare) print_totals("greedy (highest S first)", *greedy);
    std::printf("wrote %s/allocations.jsonl, allocations.csv and unmet.csv\n", out.c_str());
  }
  return kExitOk;
}

void install_allocate(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "allocate", "Share offered quantities among requested ones (min-cost flow weighted by S; docs/allocation.md)");
  auto args = std::make_shared<AllocateArgs>();
  args->pipeline.top = 20;  // candidates per request: the flow needs more than the top 3
  cmd->add_option("--db", args->db, "crema store (crema.sqlite) written by crema run")->required();
  cmd->add_option("--out", args->out, "directory for allocations.jsonl/.csv and unmet.csv (default: DB's dir/allocation)");
  cmd->add_flag("--greedy", args->greedy, "the baseline instead: edges by S, highest first, each takes what it can");
  cmd->add_flag("--compare", args->compare, "also run the greedy baseline and print both totals");
  cmd->add_option("--objective", args->objective,
                  "weighted (maximise sum of S x amount) or served (most amount first, then S)")
      ->capture_default_str();
  cmd->add_option("--unquantified", args->unquantified,
                  "posts naming a resource without an amount: one (one post unit each) or exclude")
      ->capture_default_str();
  add_match_flags(*cmd, args->pipeline);
  cmd->callback([args, &global, &exit_code] { exit_code = run_allocate(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("c-match-allocate", install_allocate);
}  // namespace crema::cli
