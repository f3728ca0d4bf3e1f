// Names of the store's enums, as stored in the database and shown in JSON.
#include <array>

#include "crema/store/store.h"

namespace crema::store {
namespace {

template <typename E, size_t N>
std::optional<E> parse_name(std::string_view name, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 5> kGeoSources = {"none", "geotag", "place", "toponym", "user"};
constexpr std::array<std::string_view, 5> kStatuses = {"open", "partly_served", "served", "expired", "rejected"};
constexpr std::array<std::string_view, 3> kDecisions = {"confirm", "reject", "fulfilled"};
constexpr std::array<std::string_view, 3> kRoles = {"viewer", "dispatcher", "admin"};
constexpr std::array<std::string_view, 3> kEventTypes = {"new_request", "new_match", "status_change"};

}  // namespace

std::string_view geo_source_name(GeoSource source) { return kGeoSources[static_cast<size_t>(source)]; }
std::optional<GeoSource> parse_geo_source(std::string_view name) { return parse_name<GeoSource>(name, kGeoSources); }

std::string_view request_status_name(RequestStatus status) { return kStatuses[static_cast<size_t>(status)]; }
std::optional<RequestStatus> parse_request_status(std::string_view name) {
  return parse_name<RequestStatus>(name, kStatuses);
}

std::string_view decision_name(Decision decision) { return kDecisions[static_cast<size_t>(decision)]; }
std::optional<Decision> parse_decision(std::string_view name) { return parse_name<Decision>(name, kDecisions); }

std::string_view role_name(Role role) { return kRoles[static_cast<size_t>(role)]; }
std::optional<Role> parse_role(std::string_view name) { return parse_name<Role>(name, kRoles); }

std::string_view event_type_name(EventType type) { return kEventTypes[static_cast<size_t>(type)]; }
std::optional<EventType> parse_event_type(std::string_view name) { return parse_name<EventType>(name, kEventTypes); }

ResolvedLocation geotag_location(const Post& post) {
  ResolvedLocation loc;
  if (post.geo) {
    loc.source = GeoSource::kGeotag;
    loc.point = post.geo;
    loc.confidence = 1.0;
  }
  return loc;
}

}  // namespace crema::store
