#include "stop_words.h"

#include <string>
#include <unordered_set>

namespace crema::ingest::detail {
namespace {

// Compact lists of the most frequent function words per language (written for crema).
// Words that are also frequent *content* words in English crisis posts ("die", "son",
// "sin") are left out on purpose.
constexpr std::string_view kStopWords[] = {
    // Tweet noise and normalisation placeholders.
    "rt", "amp", "via", "httpurl", "user",
    // English
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from",
    "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that", "these",
    "those", "i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his", "she", "her", "they",
    "them", "their", "what", "which", "who", "whom", "there", "here", "so", "than", "too", "very", "can",
    "will", "just", "do", "does", "did", "not", "no", "have", "has", "had", "all", "any", "some", "about",
    "into", "up", "out", "also", "would", "should", "could", "s", "t", "im", "dont", "u",
    // Spanish
    "el", "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "de", "del", "al", "en", "con", "por",
    "para", "que", "se", "su", "sus", "es", "lo", "le", "les", "como", "más", "mas", "pero", "ya", "muy",
    "este", "esta", "ese", "esa", "hay", "fue", "ha", "mi", "nos", "te", "tu", "sobre", "entre",
    // French
    "les", "une", "des", "du", "et", "ou", "au", "aux", "à", "ce", "cet", "cette", "ces", "est", "sont",
    "qui", "dans", "pour", "par", "sur", "avec", "pas", "ne", "plus", "il", "elle", "ils", "elles", "nous",
    "vous", "je", "sa", "ses", "leur", "leurs", "l", "d", "c", "qu", "n", "j",
    // Portuguese
    "os", "as", "um", "uma", "e", "do", "da", "dos", "das", "em", "na", "nas", "ao", "aos", "é", "não",
    "mais", "ele", "ela", "eles", "seu", "sua", "são", "foi", "pelo", "pela",
    // Italian
    "lo", "gli", "uno", "di", "della", "dei", "delle", "alla", "nel", "nella", "tra", "fra", "che", "non",
    "sono", "si", "ci", "ma", "come", "anche", "più",
    // German
    "der", "das", "den", "dem", "ein", "eine", "einer", "einen", "und", "oder", "zu", "im", "mit", "von",
    "vom", "für", "auf", "ist", "sind", "war", "er", "sie", "wir", "ich", "du", "nicht", "auch", "sich",
    "bei", "aus", "dass", "wie", "nach",
    // Indonesian
    "yang", "dan", "ke", "dari", "ini", "itu", "untuk", "dengan", "pada", "adalah", "tidak", "akan", "juga",
    "atau", "ada", "dalam", "oleh", "sudah", "karena", "saya", "kami", "kita", "mereka", "bisa",
    // Tagalog
    "ang", "ng", "sa", "mga", "ay", "ni", "kay", "ko", "mo", "ka", "siya", "tayo", "sila", "ito", "iyan",
    "yan", "dito", "po", "ba", "pa", "lang", "din", "rin", "hindi",
};

const std::unordered_set<std::string_view>& stop_set() {
  static const std::unordered_set<std::string_view> set(std::begin(kStopWords), std::end(kStopWords));
  return set;
}

}  // namespace

bool is_stop_word(std::string_view word) { return stop_set().contains(word); }

}  // namespace crema::ingest::detail
