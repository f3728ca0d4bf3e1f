#include "crema/geo/geocoder.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "geo_test_util.h"

namespace crema::geo {
namespace {

const Geocoder& geo() {
  static const Geocoder g = [] {
    GeocoderOptions o;
    o.gazetteer_path = testing::synthetic_gazetteer_path();
    auto r = Geocoder::open(o);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      std::abort();
    }
    return *r;
  }();
  return g;
}

Geocoder with_region(const std::string& region) {
  GeocoderOptions o;
  o.region = region;
  auto r = Geocoder::with_gazetteer(geo().gazetteer(), o);
  EXPECT_TRUE(r) << region;
  return *r;
}

std::vector<std::string> words(const std::vector<Geocoder::Segment>& segs) {
  std::vector<std::string> out;
  for (const auto& s : segs) out.push_back(s.word);
  return out;
}

std::vector<std::string> found(const std::vector<LocationMention>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) {
    if (m.entry != Gazetteer::kNone) out.push_back(m.text + "=" + m.name + "/" + m.country);
  }
  return out;
}

Post post(const std::string& text) {
  Post p;
  p.id = "t";
  p.text = text;
  return p;
}

using V = std::vector<std::string>;

TEST(Hashtags, SegmentsCamelCaseDigitsAndUnderscores) {
  EXPECT_EQ(words(geo().segment_hashtag("NepalEarthquake")), (V{"Nepal", "Earthquake"}));
  EXPECT_EQ(words(geo().segment_hashtag("KathmanduValley")), (V{"Kathmandu", "Valley"}));
  EXPECT_EQ(words(geo().segment_hashtag("NYCFloods")), (V{"NYC", "Floods"}));
  EXPECT_EQ(words(geo().segment_hashtag("Typhoon_Haiyan2013")), (V{"Typhoon", "Haiyan", "2013"}));
}

TEST(Hashtags, SegmentsLowerCaseByUnigramProbability) {
  EXPECT_EQ(words(geo().segment_hashtag("nepalearthquake")), (V{"nepal", "earthquake"}));
  EXPECT_EQ(words(geo().segment_hashtag("kathmanduvalley")), (V{"kathmandu", "valley"}));
  EXPECT_EQ(words(geo().segment_hashtag("typhoonhaiyan")), (V{"typhoon", "haiyan"}));
  // Byte ranges point into the tag.
  const auto segs = geo().segment_hashtag("nepalearthquake");
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[1].start, 5u);
  EXPECT_EQ(segs[1].end, 15u);
}

TEST(Mentions, HashtagsBecomeToponyms) {
  const std::string t = "Pray for #NepalEarthquake victims #KathmanduValley";
  const auto ms = geo().mentions(t);
  EXPECT_EQ(found(ms), (V{"Nepal=Nepal/NP", "Kathmandu=Kathmandu/NP"}));
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(t.substr(ms[0].start, ms[0].end - ms[0].start), "Nepal");
  EXPECT_EQ(ms[0].kind, PlaceKind::kCountry);
}

TEST(Mentions, OffsetsAreRawBytesAfterEmojiAndAccents) {
  const std::string t = "😢😢 Café déjà vu &amp; @someone https://t.co/x in Zürich & São Paulo 🙏";
  const auto ms = geo().mentions(t);
  ASSERT_EQ(found(ms), (V{"Zürich=Zürich/CH", "São Paulo=São Paulo/BR"}));
  for (const auto& m : ms) EXPECT_EQ(t.substr(m.start, m.end - m.start), m.text);
}

TEST(Mentions, ProperNounRunsOfSeveralWords) {
  EXPECT_EQ(found(geo().mentions("Flooding across New York City tonight")), (V{"New York City=New York City/US"}));
  EXPECT_EQ(found(geo().mentions("Relief goods for Tacloban City")), (V{"Tacloban City=Tacloban/PH"}));
}

TEST(Mentions, CommonWordsNeedAPlacePreposition) {
  EXPECT_TRUE(geo().mentions("Best wishes to all. Nice work! Help needed, reading the news on mobile").empty());
  EXPECT_TRUE(geo().mentions("Best wishes and Help").empty());
  EXPECT_EQ(found(geo().mentions("Flooding in Nice tonight")), (V{"Nice=Nice/FR"}));
  EXPECT_EQ(found(geo().mentions("volunteers from Reading arrived")), (V{"Reading=Reading/GB"}));
  // Lower case "nice" is never a place, even after "in".
  EXPECT_TRUE(geo().mentions("it is in nice shape").empty());
}

TEST(Mentions, LowerCaseNamesNeedEvidence) {
  // "kathmandu" is mostly capitalised in the corpora, so lower case still counts.
  EXPECT_EQ(found(geo().mentions("tents needed in kathmandu")), (V{"kathmandu=Kathmandu/NP"}));
  EXPECT_EQ(found(geo().mentions("shelter near pokhara now")), (V{"pokhara=Pokhara/NP"}));
}

TEST(Mentions, AcronymsOnlyInCapitalsAndOnlyIfAGazetteerName) {
  EXPECT_EQ(found(geo().mentions("Water needed in KTM")), (V{"KTM=Kathmandu/NP"}));
  EXPECT_EQ(found(geo().mentions("Stay safe NYC")), (V{"NYC=New York City/US"}));
  EXPECT_TRUE(geo().mentions("RT this please, ABC news").empty());
  EXPECT_TRUE(geo().mentions("ktm is fine").empty());
}

TEST(Hashtags, CapitalsThenLowerCaseSplitAfterTheCapitals) {
  EXPECT_EQ(words(geo().segment_hashtag("NSWbushfires")), (V{"NSW", "bushfires"}));
  EXPECT_EQ(words(geo().segment_hashtag("NYCFloods")), (V{"NYC", "Floods"}));  // "loods" is no word
}

TEST(Mentions, HashtagNamesWithoutSpaces) {
  EXPECT_EQ(found(geo().mentions("Ajudem #SantaMaria")), (V{"SantaMaria=Santa Maria/BR"}));
  EXPECT_EQ(found(geo().mentions("They need us #NSWbushfires")), (V{"NSW=New South Wales/AU"}));
}

TEST(Mentions, StateCodeInsideAHashtag) {
  EXPECT_EQ(found(geo().mentions("donate for #nyflood relief")), (V{"ny=New York/US"}));
  EXPECT_TRUE(geo().mentions("#inflood").empty());  // a preposition, not Indiana
  EXPECT_TRUE(geo().mentions("#ny").empty());       // alone it is the acronym rule's (too short)
}

TEST(Mentions, ShortPieceOfALongerUnknownNameInAHashtag) {
  EXPECT_TRUE(geo().mentions("Pour de l'aide au #LacMégantic").empty());
  EXPECT_EQ(found(geo().mentions("#LacFloods")), (V{"Lac=Lac/TD"}));
}

TEST(Mentions, ClosedCompoundWrittenApart) {
  EXPECT_EQ(found(geo().mentions("nous sommes a petion ville 20 adultes")), (V{"petion ville=Pétionville/HT"}));
}

TEST(Mentions, PostsWithoutCapitalsUseWellKnownNames) {
  // No capital mid-sentence: the sentence-initial capital and lower case say nothing.
  EXPECT_EQ(found(geo().mentions("Jakmel atrape pa yon maladi yo rele grangou")), (V{"Jakmel=Jacmel/HT"}));
  EXPECT_EQ(found(geo().mentions("centre ap mande ed pou viktim delma 33")), (V{"delma=Delmas/HT"}));
  EXPECT_EQ(found(geo().mentions("KIB POUM JWENN TANT AK TRAVAY MWEN DELMAS 33")), (V{"DELMAS=Delmas/HT"}));
  // A post that writes capitals: a sentence-initial word the corpora mostly write in lower
  // case is not taken.
  EXPECT_TRUE(geo().mentions("Jakmel atrape pa yon maladi, di Pierre").empty());
  // Common words stay out in lower-case posts too.
  EXPECT_TRUE(geo().mentions("the best shelter is in the reading room").empty());
}

TEST(Mentions, NamesInsideAStreetOrLandmarkName) {
  const auto ms = geo().mentions("please consider going to Nelson Mandela place and donating");
  EXPECT_EQ(found(ms), V{});
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].text, "Nelson Mandela place");  // the landmark, unresolved
  EXPECT_EQ(ms[0].entry, Gazetteer::kNone);
  EXPECT_EQ(found(geo().mentions("Donations at Nelson today")), (V{"Nelson=Nelson/GB"}));
}

TEST(Mentions, CapitalisedStateAbbreviations) {
  EXPECT_EQ(found(geo().mentions("thanks for the donation to the Qld Flood Appeal")), (V{"Qld=Queensland/AU"}));
}

TEST(Mentions, StateCodeAfterACity) {
  EXPECT_EQ(found(geo().mentions("Shelter open in Springfield, MO tonight")),
            (V{"Springfield=Springfield/US", "MO=Missouri/US"}));
  // Only the code of the city's own state, and only after a comma.
  EXPECT_EQ(found(geo().mentions("Shelter open in Chicago, MO tonight")), (V{"Chicago=Chicago/US"}));
  EXPECT_EQ(found(geo().mentions("Shelter open in Springfield MO tonight")), (V{"Springfield=Springfield/US"}));
  EXPECT_TRUE(geo().mentions("MO shelters open").empty());
}

TEST(Mentions, DivisionNamesInOtherLanguages) {
  EXPECT_EQ(found(geo().mentions("Alluvione in Sardegna, servono coperte")), (V{"Sardegna=Sardinia/IT"}));
  EXPECT_EQ(found(geo().mentions("L'aide arrive en #Sardaigne")), (V{"Sardaigne=Sardinia/IT"}));
}

std::vector<std::string> unresolved(const std::vector<LocationMention>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) {
    if (m.entry == Gazetteer::kNone) out.push_back(m.text);
  }
  return out;
}

TEST(Mentions, StreetAndLandmarkNamesAreUnresolvedLocations) {
  EXPECT_EQ(unresolved(geo().mentions("masks to Marine Pde delivered, more at Foothills Mall")),
            (V{"Marine Pde", "Foothills Mall"}));
  EXPECT_EQ(unresolved(geo().mentions("Apartments off 21st St in Springfield")), (V{"21st St"}));
  EXPECT_EQ(unresolved(geo().mentions("Volunteers meet at Riverside Park at noon")), (V{"Riverside Park"}));
  EXPECT_EQ(unresolved(geo().mentions("Nou menm nan silo, enpas Blanchard, nou pa gen tant")), (V{"enpas Blanchard"}));
  // Posts without capitals: any words after the street word; digits only inside the name.
  EXPECT_EQ(unresolved(geo().mentions("adres la se blvd 15 oct rue innovat")), (V{"blvd 15 oct", "rue innovat"}));
  EXPECT_EQ(unresolved(geo().mentions("nou nan rue 15")), V{});
  // Lower-case words after a street word in a post that uses case are no name; a street
  // word alone or before function words is none either.
  EXPECT_EQ(unresolved(geo().mentions("We need a place to stay in Madrid")), V{});
  EXPECT_EQ(unresolved(geo().mentions("Donations at the mall in Madrid")), V{});
  // A gazetteer name keeps its place; the street name does not swallow it.
  const auto ms = geo().mentions("Water for Delmas place and Tacloban City");
  EXPECT_EQ(found(ms), (V{"Delmas=Delmas/HT", "Tacloban City=Tacloban/PH"}));
  // Unresolved names never place a post.
  const GeoResult r = geo().locate(post("Marine Pde needs masks"));
  EXPECT_EQ(unresolved(r.locations), (V{"Marine Pde"}));
  EXPECT_EQ(r.geo.source, GeoSource::kNone);
}

TEST(Mentions, AdministrativeWordAfterARunNamesThePlace) {
  const auto ms = geo().mentions("Address 212 Del Pilar St Tinajeros Tacloban city");
  EXPECT_EQ(found(ms), (V{"Tacloban=Tacloban/PH"}));
  EXPECT_EQ(unresolved(ms), (V{"Del Pilar St"}));
}

TEST(Mentions, StateCodesAfterADashAndInTags) {
  // "Cidade - UF" (Brazilian addresses): the ISO 3166-2 code of the city's state.
  EXPECT_EQ(found(geo().mentions("Av. Vargas, 2291 - Santa Maria - RS, 97015-513")),
            (V{"Santa Maria=Santa Maria/BR", "RS=Rio Grande do Sul/BR"}));
  // Alone, or as a piece of a tag, such a code is no place ("#RSflood" is not Brazil's).
  EXPECT_EQ(found(geo().mentions("Donations for #RSflood today")), V{});
  EXPECT_EQ(found(geo().mentions("state agencies are supporting #COflood response")), (V{"CO=Colorado/US"}));
  // Another country's division with the same ISO code is not what a tag means.
  EXPECT_EQ(found(geo().mentions("busking to help the #BCflood relief")), (V{"BC=British Columbia/CA"}));
}

TEST(Mentions, AdministrativeWordAfterACapitalisedRun) {
  EXPECT_EQ(found(geo().mentions("How Colorado state agencies are supporting")), (V{"Colorado=Colorado/US"}));
  EXPECT_EQ(found(geo().mentions("Terremoto in Emilia, servono tende")), (V{"Emilia=Emilia-Romagna/IT"}));
}

TEST(Mentions, HospitalsAreLandmarks) {
  EXPECT_EQ(unresolved(geo().mentions("favor dirigirse al Hospital Dr. Rafael Calles Sierra")),
            (V{"Hospital Dr. Rafael Calles"}));
  EXPECT_EQ(unresolved(geo().mentions("runners continuing to run to the Hospital to give blood")), V{});
}

TEST(Mentions, PlacesThatBeginAnOrganisationName) {
  const GeoResult both = geo().locate(post("Nepal Red Cross distributes tents in Pokhara"));
  EXPECT_EQ(found(both.locations), (V{"Pokhara=Pokhara/NP"}));
  EXPECT_EQ(both.geo.city, "Pokhara");
  // Alone, the organisation's country still places the post, with less confidence.
  const GeoResult alone = geo().locate(post("The Nepal Air Force flew tents out today"));
  EXPECT_EQ(found(alone.locations), V{});
  EXPECT_EQ(alone.geo.source, GeoSource::kToponym);
  EXPECT_EQ(alone.geo.country, "NP");
  EXPECT_LT(alone.geo.confidence, 0.4);
  // Not an organisation: the place counts.
  EXPECT_EQ(found(geo().mentions("Red help for Nepal today")), (V{"Nepal=Nepal/NP"}));
}

TEST(Mentions, NamesBeforeACommaAndAKnownDivision) {
  // "Incirlik, Turkey": an unknown capitalised name before ", <division or country>".
  const auto ms = geo().mentions("an air bridge from Guiuan, Eastern Visayas, with tents");
  EXPECT_EQ(unresolved(ms), (V{"Guiuan"}));
  EXPECT_EQ(found(ms), (V{"Eastern Visayas=Eastern Visayas/PH"}));
  // Not after a capitalised word or at a sentence start ("Thanks Guiuan, Nepal").
  EXPECT_EQ(unresolved(geo().mentions("Thanks Guiuan, Nepal")), V{});
  EXPECT_EQ(unresolved(geo().mentions("Guiuan, Nepal is ok")), V{});
}

TEST(Mentions, StreetNamesStopAtDashesCommonWordsAndPossessives) {
  EXPECT_EQ(unresolved(geo().mentions("Help the Victims - Wall Street donates")), (V{"Wall Street"}));
  EXPECT_EQ(unresolved(geo().mentions("We love My Street")), V{});
  // Posts without capitals: a common word right after the street word is no name, an
  // unknown or rare one is ("zon laplan").
  EXPECT_EQ(unresolved(geo().mentions("nou bezwen hospital staff yo")), V{});
  EXPECT_EQ(unresolved(geo().mentions("nou nan zon laplan")), (V{"zon laplan"}));
}

TEST(Mentions, CompassWordsArePartOfThePlaceNotPlaces) {
  // "Utara" (Indonesian "north") is also a translated name of Cameroon's North region.
  auto ms = geo().mentions("Banjir di Jakarta Utara, butuh makanan");
  EXPECT_EQ(found(ms), (V{"Jakarta Utara=Jakarta/ID"}));
  EXPECT_EQ(found(geo().mentions("Help flood victims in North Jakarta")), (V{"North Jakarta=Jakarta/ID"}));
  EXPECT_EQ(found(geo().mentions("Utara")), V{});
  EXPECT_EQ(found(geo().mentions("heading north to Jakarta")), (V{"Jakarta=Jakarta/ID"}));
}

TEST(Mentions, LowerCaseMultiWordNamesInPostsWithoutCapitals) {
  EXPECT_EQ(found(geo().mentions("pls send water new york city people stuck")), (V{"new york city=New York City/US"}));
  // In a post that uses case, a lower-case phrase needs a preposition or a place word.
  EXPECT_EQ(found(geo().mentions("We send water to new york now. Thanks Delmas")), (V{"Delmas=Delmas/HT"}));
}

TEST(Mentions, CommonWordsBeforeACommaAndADivisionAfterAPreposition) {
  EXPECT_EQ(unresolved(geo().mentions("Volunteers needed in High River, Alberta")), (V{"High River"}));
  // Without the preposition the common word stays out ("High" is mostly lower case).
  EXPECT_EQ(unresolved(geo().mentions("we need High River, Alberta")), V{});
}

TEST(Mentions, RareCapitalisedNamesAfterAPlacePreposition) {
  EXPECT_EQ(unresolved(geo().mentions("water for 1,100 households in Kajhu, including schools")), (V{"Kajhu"}));
  // Words the corpora know ("in January"), lower case, digits or posts without capitals: no.
  EXPECT_EQ(unresolved(geo().mentions("Floods in January hit Kajhu")), V{});
  EXPECT_EQ(unresolved(geo().mentions("water in kajhu, thanks")), V{});
  EXPECT_EQ(unresolved(geo().mentions("We are in Ward7b now")), V{});
}

TEST(Disambiguation, AMainNameOutranksAnAlternateName) {
  // Antalya (1.3 M) also goes by "Olbia"; Olbia, Sardinia is the city of that name.
  auto ms = geo().mentions("Flood in Olbia and Terralba");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].name, "Olbia");
  EXPECT_EQ(ms[0].country, "IT");
  // A name that only an alternate carries still resolves ("Djakarta").
  EXPECT_EQ(found(geo().mentions("Floods in Djakarta")), (V{"Djakarta=Jakarta/ID"}));
}

TEST(Disambiguation, CountryCodeAtTheEndOfAHashtag) {
  // "#temblorcr": Costa Rica is the context, so guadalupe is the Costa Rican one.
  auto r = geo().locate(post("Muy fuerte #temblorcr en guadalupe con caidas de objetos"));
  ASSERT_EQ(r.locations.size(), 1u);
  EXPECT_EQ(r.locations[0].country, "CR");
  r = geo().locate(post("Muy fuerte en guadalupe con caidas de objetos"));
  ASSERT_EQ(r.locations.size(), 1u);
  EXPECT_EQ(r.locations[0].country, "MX");
  // Alone the code places the post in the country (low confidence) and is no mention.
  r = geo().locate(post("Drop off donations this week #ReliefPH"));
  EXPECT_TRUE(r.locations.empty());
  EXPECT_EQ(r.geo.source, GeoSource::kToponym);
  EXPECT_EQ(r.geo.country, "PH");
  EXPECT_LE(r.geo.confidence, 0.3 + 1e-9);
  // A common lower-case word is no code ("#helpus"), nor is a tag without a known word.
  EXPECT_EQ(geo().locate(post("please #helpus now")).geo.source, GeoSource::kNone);
  EXPECT_EQ(geo().locate(post("please #xqzwph now")).geo.source, GeoSource::kNone);
}

TEST(Mentions, CountryNamesInParenthesesAreNamesToo) {
  // ICU's English name of MM is "Myanmar (Burma)": both parts are names.
  EXPECT_EQ(found(geo().mentions("Aid for Burma")), (V{"Burma=Myanmar/MM"}));
  EXPECT_EQ(found(geo().mentions("Aid for Myanmar")), (V{"Myanmar=Myanmar/MM"}));
}

TEST(Mentions, OtherScripts) {
  EXPECT_EQ(found(geo().mentions("काठमाडौं मा भूकम्प")), (V{"काठमाडौं=Kathmandu/NP"}));
  EXPECT_EQ(found(geo().mentions("東京で地震")), (V{"東京=Tokyo/JP"}));
  EXPECT_EQ(found(geo().mentions("Землетрясение, Цюрих")), (V{"Цюрих=Zürich/CH"}));
}

TEST(Disambiguation, PopulationPriorAlone) {
  const auto ms = geo().mentions("Stay safe Victoria");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].country, "AU");  // the state of Victoria outweighs the cities
  EXPECT_EQ(ms[0].kind, PlaceKind::kAdmin1);
}

TEST(Disambiguation, CountryAndAdminCoMentions) {
  auto ms = geo().mentions("Flooding in Victoria, Canada");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].name, "Victoria");
  EXPECT_EQ(ms[0].country, "CA");
  EXPECT_EQ(ms[0].kind, PlaceKind::kCity);
  ms = geo().mentions("Victoria, Seychelles needs water");
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0].country, "SC");
  ms = geo().mentions("Tornado near Springfield, Massachusetts");
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0].admin1, "Massachusetts");
  ms = geo().mentions("Springfield Illinois shelters open, Chicago too");
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0].admin1, "Illinois");
}

TEST(Disambiguation, RegionOption) {
  EXPECT_EQ(with_region("SC").mentions("Stay safe Victoria")[0].country, "SC");
  EXPECT_EQ(with_region("ca").mentions("Stay safe Victoria")[0].country, "CA");
  // A bounding box around Massachusetts.
  const auto ms = with_region("-73.6,41.2,-69.8,42.9").mentions("Shelter at Springfield");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].admin1, "Massachusetts");
}

TEST(Disambiguation, Geotag) {
  Post p = post("Water in Springfield");
  p.geo = GeoPoint{37.3, -93.2};
  const auto r = geo().locate(p);
  ASSERT_EQ(r.locations.size(), 1u);
  EXPECT_EQ(r.locations[0].admin1, "Missouri");
}

TEST(Resolution, GeotagFirstWithNearestCity) {
  Post p = post("Flooding in Kathmandu");
  p.geo = GeoPoint{48.42, -123.36};
  const auto r = geo().locate(p);
  EXPECT_EQ(r.geo.source, GeoSource::kGeotag);
  EXPECT_DOUBLE_EQ(r.geo.lat, 48.42);
  EXPECT_NEAR(r.geo.radius_km, 0.1, 1e-9);
  EXPECT_EQ(r.geo.country, "CA");
  EXPECT_EQ(r.geo.city, "Victoria");
  EXPECT_EQ(r.geo.admin1, "British Columbia");
  EXPECT_EQ(r.locations.size(), 1u);  // mentions are still listed
}

TEST(Resolution, PlaceThenToponymThenUser) {
  Post p = post("Need tents in Pokhara");
  p.place = "Kathmandu, Nepal";
  p.user_location = "Madrid";
  auto r = geo().locate(p);
  EXPECT_EQ(r.geo.source, GeoSource::kPlace);
  EXPECT_EQ(r.geo.city, "Kathmandu");
  p.place.clear();
  r = geo().locate(p);
  EXPECT_EQ(r.geo.source, GeoSource::kToponym);
  EXPECT_EQ(r.geo.city, "Pokhara");
  EXPECT_EQ(r.geo.country, "NP");
  EXPECT_GT(r.geo.confidence, 0.3);
  EXPECT_GE(r.geo.radius_km, 5.0);
  p.text = "Need tents";
  r = geo().locate(p);
  EXPECT_EQ(r.geo.source, GeoSource::kUser);
  EXPECT_EQ(r.geo.city, "Madrid");
  p.user_location = "somewhere over the rainbow";
  r = geo().locate(p);
  EXPECT_EQ(r.geo.source, GeoSource::kNone);
  EXPECT_EQ(r.geo.country, "");
}

TEST(Resolution, PrefersTheMostSpecificConsistentPlace) {
  const auto r = geo().locate(post("Earthquake in Nepal: Kathmandu badly hit"));
  EXPECT_EQ(r.geo.source, GeoSource::kToponym);
  EXPECT_EQ(r.geo.city, "Kathmandu");
  EXPECT_EQ(r.locations.size(), 2u);
  const auto c = geo().locate(post("Earthquake in Nepal"));
  EXPECT_EQ(c.geo.city, "");
  EXPECT_EQ(c.geo.country, "NP");
  EXPECT_GT(c.geo.radius_km, 100.0);
}

TEST(Resolution, PlaceStrings) {
  auto r = geo().resolve_place_string("Springfield, MO");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->admin1, "Missouri");
  r = geo().resolve_place_string("Victoria, British Columbia");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->country, "CA");
  EXPECT_FALSE(geo().resolve_place_string("").has_value());
}

TEST(Region, Parses) {
  EXPECT_TRUE(parse_region("")->empty());
  EXPECT_EQ(parse_region(" np ")->country, "NP");
  const auto b = parse_region("80.0,26.3,88.2,30.5");
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->bbox.has_value());
  EXPECT_DOUBLE_EQ((*b->bbox)[3], 30.5);
  EXPECT_EQ(parse_region("xk")->country, "XK");  // Kosovo: user-assigned, but GeoNames and ICU use it
  for (const char* bad : {"NPL", "1,2,3", "1,2,3,4,5", "10,0,5,1", "a,b,c,d", "0,0,200,1", "XX", "zz", "UK", "N1",
                          "85,27,85,28", "85,27,86,27", "nan,0,1,1", "1e999,0,1,1", "85,,86,28", "85;27;86;28"}) {
    auto r = parse_region(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
  GeocoderOptions o;
  o.gazetteer_path = testing::synthetic_gazetteer_path();
  o.region = "nowhere";
  EXPECT_FALSE(Geocoder::open(o));
}

TEST(NearestCity, ChecksRange) {
  EXPECT_FALSE(geo().nearest_city(91, 0));
  EXPECT_FALSE(geo().nearest_city(std::nan(""), 0));
  const auto r = geo().nearest_city(27.7, 85.3);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->city, "Kathmandu");
  EXPECT_LT(r->radius_km, 5.0);
}

// --- hostile posts and the span property -----------------------------------------------

void expect_spans_are_names(const std::string& text, const GeoResult& r) {
  for (const auto& m : r.locations) {
    ASSERT_LE(m.start, m.end);
    ASSERT_LE(m.end, text.size());
    EXPECT_EQ(text.substr(m.start, m.end - m.start), m.text);
    // Property: the raw span case-folds to a name of its entry; in a hashtag after
    // segmentation ("#SãoPaulo"), for a compound written apart without the space.
    auto has_entry = [&](const std::string& name) {
      const auto ids = geo().gazetteer().lookup(name);
      return std::find(ids.begin(), ids.end(), m.entry) != ids.end();
    };
    if (m.entry == Gazetteer::kNone) {
      // Street and area names: no coordinates, the lowest confidence.
      EXPECT_EQ(m.geonameid, 0u);
      EXPECT_EQ(m.confidence, 0.3);
      continue;
    }
    std::string segmented, closed;
    for (const auto& s : geo().segment_hashtag(m.text)) segmented += (segmented.empty() ? "" : " ") + s.word;
    for (const char c : m.text) if (c != ' ') closed += c;
    EXPECT_TRUE(has_entry(m.text) || has_entry(segmented) || has_entry(closed)) << m.text;
    EXPECT_GE(m.confidence, 0.0);
    EXPECT_LE(m.confidence, 1.0);
  }
  EXPECT_GE(r.geo.confidence, 0.0);
  EXPECT_LE(r.geo.confidence, 1.0);
}

TEST(Hostile, LongPostsAnyScriptEmojiOnlyInvalidBytes) {
  std::vector<std::string> texts;
  std::string long_text;
  while (long_text.size() < 10000) long_text += "Help in Kathmandu and Zürich 🙏 東京 काठमाडौं ";
  texts.push_back(long_text);
  texts.push_back(std::string(10000, 'A'));
  texts.push_back("🙏🙏🙏😢😢🇳🇵🇳🇵");
  texts.push_back("");
  texts.push_back("#");
  texts.push_back("########");
  texts.push_back("#_#_#__");
  texts.push_back(std::string("\xff\xfe\xc0\x80 in Nice \xed\xa0\x80", 16));
  texts.push_back("مساعدة في كاتماندو");
  texts.push_back("ช่วยด้วย กรุงเทพ");
  texts.push_back("#" + std::string(5000, 'a'));
  texts.push_back("in in in in in in");
  for (const auto& t : texts) {
    Post p = post(t);
    p.place = t;
    p.user_location = t;
    const auto r = geo().locate(p);
    expect_spans_are_names(t, r);
  }
}

TEST(Hostile, RandomTextPropertyHolds) {
  const std::vector<std::string> pieces = {"Kathmandu", "kathmandu", "#NepalEarthquake", "in", "Nice", "Victoria",
                                           "São", "Paulo", "😢", "東京", " ", ", ", ". ", "New", "York", "City",
                                           "@user", "http://x.y/z", "&amp;", "KTM", "Zürich", "-", "'", "Springfield",
                                           "\xc3", "Ca\xcc\x81" "ceres"};
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1), len(0, 25);
  for (int i = 0; i < 500; ++i) {
    std::string t;
    const size_t n = len(rng);
    for (size_t k = 0; k < n; ++k) t += pieces[pick(rng)] + (k % 3 == 0 ? " " : "");
    expect_spans_are_names(t, geo().locate(post(t)));
  }
}

TEST(Threads, ConcurrentLocateGivesTheSameAnswers) {
  const std::vector<std::string> texts = {"Flooding in Victoria, Canada", "#NepalEarthquake tents for Kathmandu",
                                          "Springfield Illinois shelters open", "東京で地震", "in Nice tonight"};
  std::vector<std::string> expected;
  for (const auto& t : texts) {
    const auto r = geo().locate(post(t));
    expected.push_back(r.geo.country + r.geo.city + std::to_string(r.locations.size()));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 200; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const auto r = geo().locate(post(texts[i]));
          if (r.geo.country + r.geo.city + std::to_string(r.locations.size()) != expected[i]) ++mismatches[k];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace crema::geo
