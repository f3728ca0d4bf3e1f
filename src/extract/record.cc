// The extraction record of one post (record.h).
#include "crema/extract/record.h"

#include "crema/common/json_writer.h"

namespace crema::extract {

std::string extraction_json(const Post& post, const Extraction& ex, const geo::GeoResult& geo, bool unmask) {
  JsonWriter w;
  w.begin_object().key("id").value(post.id);
  w.key("resources").begin_array();
  for (const auto& r : ex.resources) {
    w.begin_object().key("text").value(r.text).key("class").value(class_name(r.cls));
    w.key("crema_resource").value(crema_resource_name(r.cls));
    w.key("start").value(static_cast<uint64_t>(r.span.start)).key("end").value(static_cast<uint64_t>(r.span.end));
    if (r.quantity >= 0) w.key("quantity").value(ex.quantities[static_cast<size_t>(r.quantity)].amount);
    if (r.semantic) w.key("similarity").value(static_cast<double>(r.score));
    w.end_object();
  }
  w.end_array().key("quantities").begin_array();
  for (const auto& q : ex.quantities) {
    w.begin_object();
    w.key("resource");
    if (q.resource >= 0) w.value(ex.resources[static_cast<size_t>(q.resource)].text); else w.null();
    w.key("amount").value(q.amount).key("text").value(q.text);
    if (!q.unit.empty()) w.key("unit").value(q.unit);
    if (q.money) w.key("currency").value(q.currency);
    w.key("start").value(static_cast<uint64_t>(q.span.start)).key("end").value(static_cast<uint64_t>(q.span.end));
    w.end_object();
  }
  w.end_array().key("locations").begin_array();
  for (const auto& l : geo.locations) {
    w.begin_object().key("text").value(l.text).key("start").value(static_cast<uint64_t>(l.start));
    w.key("end").value(static_cast<uint64_t>(l.end));
    if (l.entry == geo::Gazetteer::kNone) {
      // A street or area name no gazetteer lists: no coordinates to give.
      w.key("resolved").value(false).end_object();
      continue;
    }
    w.key("name").value(l.name);
    w.key("geonameid").value(static_cast<uint64_t>(l.geonameid)).key("lat").value(l.lat).key("lon").value(l.lon);
    w.key("country").value(l.country).key("admin1").value(l.admin1).end_object();
  }
  w.end_array().key("sources").begin_array();
  for (const auto& s : ex.sources) w.value(s.text);
  w.end_array().key("contacts").begin_array();
  for (const auto& c : ex.contacts) w.value(unmask ? c.value : mask_contact(c));
  w.end_array().key("geo");
  if (geo.geo.source == geo::GeoSource::kNone) {
    w.null();
  } else {
    const auto& g = geo.geo;
    w.begin_object().key("lat").value(g.lat).key("lon").value(g.lon).key("source").value(geo::geo_source_name(g.source));
    w.key("confidence").value(g.confidence).key("radius_km").value(g.radius_km).key("country").value(g.country);
    w.key("admin1").value(g.admin1).key("city").value(g.city).key("geonameid").value(static_cast<uint64_t>(g.geonameid));
    w.end_object();
  }
  w.end_object();
  return w.take();
}

}  // namespace crema::extract
