// Hyperscan and RE2 must give identical matching_ids for the bundled patterns: on generated
// posts that put keywords next to every kind of neighbour (non-ASCII letters, marks,
// punctuation, emoji, digits, newlines) and on hand-written multilingual posts.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "crema/filter/prefilter.h"

namespace crema::filter {
namespace {

const std::vector<std::string> kWords = {
    "need", "needs", "help", "HELP", "donate", "Donation", "supplies", "shelter", "water",
    "food", "blanket", "volunteers", "needed", "anyone", "have", "where", "can", "get",
    "please", "send", "urgent", "stranded", "trapped", "blood", "donors", "DM", "me", "us",
    "free", "for", "giving away", "collecting", "drop-off", "call", "offering", "available",
    "rescue", "the", "a", "of", "in", "flood", "Houston", "sunset", "beautiful", "love",
    "necesitamos", "ayuda", "besoin", "bénévoles", "BÉNÉVOLES", "precisamos", "doação",
    "nou bezwen", "dlo", "butuh", "bantuan", "चाहिए", "मदद", "ज़रूरत", "نحتاج", "مساعدة",
    "kailangan", "tulong", "需要", "救援", "ボランティア", "aiuto", "ſhelter", "NEED",
    "helpé", "éhelp", "helṕ", "ayúdenos", "AYÚDENOS", "SOCORRO", "Ñandú", "straße",
};
const std::vector<std::string> kSeparators = {
    " ", " ", " ", "  ", "\n", "\t", ",", ".", "!", "?", "? ", " ?", "؟", "？", "…", "“", "”",
    "’", "«", "»", "¿", "¡", "-", "_", "/", "#", "@", ":", "(", ")", "\xC2\xA0", "\xE3\x80\x82",
    "\xF0\x9F\x98\xA2", "\xE2\x9D\xA4", "é", "ñ", "\xCC\x81", "\xD9\x8E", "\xE0\xA4\xBE", "1",
    "", "", "\xEF\xBF\xBD", "\xE2\x80\x8D", "\xEF\xBC\x8C",
};
const std::vector<std::string> kPhones = {"+1 (713) 555-0199", "0803 123 4567", "555-12", "12345678"};

std::string generate(std::mt19937& rng) {
  std::uniform_int_distribution<int> length(0, 14);
  std::uniform_int_distribution<size_t> word(0, kWords.size() - 1);
  std::uniform_int_distribution<size_t> sep(0, kSeparators.size() - 1);
  std::uniform_int_distribution<size_t> phone(0, kPhones.size() - 1);
  std::uniform_int_distribution<int> coin(0, 9);
  std::string post;
  const int n = length(rng);
  for (int i = 0; i < n; ++i) {
    if (coin(rng) == 0) post += kPhones[phone(rng)];
    else post += kWords[word(rng)];
    post += kSeparators[sep(rng)];
  }
  return post;
}

const char* const kRealLooking[] = {
    "We need drinking water and diapers at the Lakewood shelter, please RT",
    "Anyone have a boat? My parents are stranded on their roof on Elm St #HoustonFlood",
    "I can help with rides to the evacuation center, DM me",
    "Giving away free blankets and jackets to anyone affected, drop-off at 5th Ave church",
    "Blood donors needed urgently at City Hospital, O-negative",
    "Volunteers needed this Saturday to sort donations! Sign up at HTTPURL",
    "Praying for everyone in Puerto Rico :red_heart:",
    "What a beautiful sunset tonight",
    "Call 0803 123 4567 for free food supplies",
    "Necesitamos agua, víveres y medicinas en el albergue de Juchitán",
    "Se necesitan voluntarios para el centro de acopio #FuerzaMéxico",
    "Nous avons besoin de bénévoles pour distribuer la nourriture aux sinistrés",
    "Precisamos de doações de roupas e água para os desabrigados",
    "Nou bezwen dlo ak manje nan Jakmèl, tanpri ede nou",
    "Kami butuh bantuan makanan dan selimut untuk pengungsi di posko Palu",
    "बाढ़ पीड़ितों को तुरंत मदद चाहिए, कृपया दान करें",
    "نحتاج إلى مساعدة عاجلة في حلب، الرجاء التبرع",
    "Kailangan namin ng tulong, wala kaming pagkain at tubig sa Tacloban",
    "地震后我们急需饮用水和帐篷，请支援灾区",
    "被災地ではボランティアを募集しています",
    "Abbiamo bisogno di aiuto ad Amatrice, servono volontari",
    "Where can I donate clothes for the fire victims?",
    "How to volunteer with the Red Cross?",
    "Is the shelter still accepting donations?",
    "No power no water since Tuesday, running out of insulin",
    "Hosting evacuees: we have 2 spare rooms available, contact us",
    "¿Dónde puedo donar sangre? #sismo",
    "ayúdenos por favor, estamos atrapados en el segundo piso",
    "@USER please send help to Marina district",
    "rain again today ... so tired of this weather",
    "needless to say the game was great",
    "helpful hints: keep your phone charged",
    "the Shelter Island ferry is running late",
    "volunteer firefighters were honoured yesterday",
    "Food trucks at the festival tomorrow!",
    "स्वयंसेवकों की ज़रूरत है",
    "ज़रूरत पड़ने पर फोन करें",
    "NECESITAMOS AYUDA URGENTE EN MOCOA",
    "BESOIN D'AIDE À JÉRÉMIE",
    "DOAÇÕES DE ÁGUA NO ABRIGO",
};

TEST(BackendAgreement, IdenticalMatchingIds) {
  if (!hyperscan_available()) GTEST_SKIP() << "this build has no Hyperscan";
  const std::string path = CREMA_SOURCE_DIR "/data/prefilter/patterns.txt";
  auto hs = Prefilter::load(path, Prefilter::Backend::kHyperscan);
  auto re2 = Prefilter::load(path, Prefilter::Backend::kRe2);
  ASSERT_TRUE(hs) << hs.error().message;
  ASSERT_TRUE(re2) << re2.error().message;
  std::vector<std::string> posts(std::begin(kRealLooking), std::end(kRealLooking));
  std::mt19937 rng(20240601);
  for (int i = 0; i < 1000; ++i) posts.push_back(generate(rng));
  size_t kept = 0;
  size_t total_fired = 0;
  for (const std::string& post : posts) {
    const auto a = (*hs)->matching_ids(post);
    const auto b = (*re2)->matching_ids(post);
    EXPECT_EQ(a, b) << post;
    EXPECT_EQ((*hs)->matches(post), !a.empty()) << post;
    EXPECT_EQ((*re2)->matches(post), !b.empty()) << post;
    kept += a.empty() ? 0 : 1;
    total_fired += a.size();
  }
  // The generated posts must exercise both outcomes and many patterns.
  EXPECT_GT(kept, posts.size() / 4);
  EXPECT_LT(kept, posts.size());
  EXPECT_GT(total_fired, posts.size());
}

// Every pattern fires on at least one hand-written post in both backends, so the agreement
// above covers all of them.
TEST(BackendAgreement, EveryPatternExercised) {
  const std::string path = CREMA_SOURCE_DIR "/data/prefilter/patterns.txt";
  auto re2 = Prefilter::load(path, Prefilter::Backend::kRe2);
  ASSERT_TRUE(re2);
  std::vector<int> fired_count((*re2)->patterns().back().id + 1, 0);
  for (const char* post : kRealLooking) {
    for (const int id : (*re2)->matching_ids(post)) ++fired_count[static_cast<size_t>(id)];
  }
  for (const Pattern& p : (*re2)->patterns()) {
    EXPECT_GT(fired_count[static_cast<size_t>(p.id)], 0) << "pattern " << p.id << " " << p.name;
  }
}

}  // namespace
}  // namespace crema::filter
