#!/usr/bin/env python3
"""Builds data/labels/pool/: the pool of posts to be labelled under docs/annotation.md (issue 4).

Draws a stratified, deduplicated pool from the open data copied under --shared
(figure8_disaster_response, crisislex_t26), enriched for the rare classes (offers,
request_and_offer) without carrying any label into the pool:

  * the source data's own labels and the prefilter patterns (data/prefilter/patterns.txt)
    are used only to CHOOSE which posts enter the pool (the `stratum` field says why a post
    was drawn); they never become labels, and no label field is written;
  * a share of ordinary posts (no pattern fires, no request/offer/donation tag) keeps the
    pool realistic (roughly a third likely irrelevant).

Writes:
  <out>/pool.jsonl             one post per line: pool_id, text, source, source_id, event,
                               lang_hint, licence, stratum
  <out>/chunks/chunk_NN.jsonl  the same posts, 100 per file, with pool_id and text only
  <out>/counts.json            counts per source / event / language / stratum (for the README)

Deterministic: the same inputs and --seed give the same bytes.

Usage (from the repository root):
  python3 tools/make_label_pool.py --shared /work/shared/data --out data/labels/pool --seed 4 --extension 1200 --round3 1000 --round4 600 --round5 2000 --round6 2000
Python 3 standard library only.
"""

import argparse
import collections
import csv
import gzip
import json
import os
import random
import re
import sys
import unicodedata

FIG8_LICENCE = "CC BY 4.0"
CRISISLEX_LICENCE = "MIT"
CHUNK_SIZE = 100
# Figure Eight tags that mark a message about aid (round 5 chooses posts by them; never labels).
FIG8_AID_TAGS = ("aid_related", "medical_help", "medical_products", "search_and_rescue", "water", "food",
                 "shelter", "clothing", "money", "other_aid", "aid_centers")
# CrisisLex T26 information types that most often carry a need or an offer (round 5 gives them
# a larger share per event; the types only choose posts).
T26_ACTIONABLE_TYPES = ("Affected individuals", "Infrastructure and utilities", "Caution and advice",
                        "Other Useful Information")
# Round 5's non-English posts (about 1,200 of 2,000): Figure Eight originals per language
# (aid/request-tagged, related but untagged, unrelated) and CrisisLex T26 tweets per language,
# the weakest languages of the classifier (es, ht, fr) first. Undrawn supply before the round:
# originals ht 6,948, fr 927, ur 122; T26 es 1,997, it 840, pt 436, fr 389, tl 339, ru 163.
ALL = 10**6
R5_FIG8_ORIGINAL_QUOTAS = (("ht", 250, 70, 60), ("fr", 110, 40, 30), ("ur", ALL, ALL, ALL))
R5_T26_LANG_QUOTAS = (("es", 260), ("it", 80), ("fr", 50), ("pt", 50), ("tl", 50), ("ru", 30))
# Sixth round: non-English only. Figure Eight originals (aid/request-tagged, related only,
# untagged) and CrisisLex T26 tweets per language, spread over the language's events.
R6_FIG8_ORIGINAL_QUOTAS = (("ht", 520, 150, 130), ("fr", 180, 70, 50))
R6_T26_LANG_QUOTAS = (("es", 450), ("it", 200), ("pt", 100), ("fr", 75), ("tl", 75))

# ---------------------------------------------------------------------------------------
# Language hints (metadata only; they steer the stratification, never a label).

# Figure Eight id ranges of the author's events (see data/labels/PROVENANCE.md).
HAITI_MAX_ID = 11179
PAKISTAN_MIN_ID = 13948
PAKISTAN_MAX_ID = 14679

# Same function-word rule as tools/make_open_labels.py (kept here so the two tools agree
# on which Haiti originals are French; copied rather than imported so each tool stands alone).
FRENCH_WORDS = {"je", "nous", "vous", "est", "les", "des", "dans", "avec", "sont", "une",
                "pour", "qui", "que", "il", "elle", "mais", "aux", "du", "au", "suis",
                "avons", "sommes", "notre", "nos", "votre", "mon", "ma", "mes", "pas", "ne"}
KREYOL_WORDS = {"mwen", "nou", "yo", "ki", "nan", "pou", "gen", "li", "tanpri", "ak",
                "pa", "sa", "se", "ou", "yon", "bay", "konn", "kote", "paske", "anpil",
                "bezwen", "manje", "dlo", "kay", "kounye", "tout", "fe", "fè", "kijan"}

# Function words that mostly belong to one language of CrisisLex T26 (en, es, it, pt, tl).
TWEET_LANG_WORDS = {
    "en": {"the", "and", "of", "to", "is", "for", "on", "with", "are", "this", "that", "be",
           "from", "at", "by", "our", "we", "you", "it", "have", "has", "was", "were", "will",
           "in", "after", "all", "about", "please", "help", "who", "their", "they", "my"},
    "es": {"el", "los", "las", "y", "por", "del", "al", "es", "muy", "más", "está", "están",
           "pero", "hay", "fue", "sismo", "terremoto", "ayuda", "también", "este", "esta",
           "como", "sin", "hasta", "desde", "todos", "donde", "tras", "han", "lo", "y", "víctimas",
           "ayudar", "gracias", "hoy", "puede", "pueden", "heridos", "muertos", "tren", "accidente"},
    "it": {"il", "di", "che", "per", "non", "sono", "della", "alla", "gli", "è", "del", "nel",
           "nella", "dei", "delle", "anche", "ci", "si", "più", "terremoto", "aiuto", "alluvione",
           "ma", "come", "questo", "questa", "tutti", "dopo", "ha", "hanno", "lo"},
    "pt": {"o", "do", "da", "em", "um", "uma", "não", "os", "no", "na", "com", "são", "dos",
           "das", "pelo", "pela", "ao", "aos", "mais", "foi", "boate", "vítimas", "você",
           "isso", "muito", "já", "também", "tragédia", "nas", "ajuda", "ajudar", "tem", "q",
           "pessoas", "mortos", "feridos", "incêndio", "hospital", "sangue", "doar", "doação",
           "obrigado", "hoje", "estão", "vai", "aqui", "quem", "seu", "sua"},
    "fr": {"le", "les", "des", "et", "est", "une", "pour", "dans", "aux", "du", "au", "avec",
           "qui", "sont", "nous", "vous", "pas", "ce", "cette", "sur", "je", "sinistrés",
           "aide", "victimes", "merci", "tous", "train", "ville", "être", "été", "ont", "leur"},
    "tl": {"ang", "mga", "ng", "po", "naman", "lang", "kayo", "tayo", "natin", "nasa", "ito",
           "wala", "mag", "nang", "din", "rin", "ay", "kung", "yung", "ako", "namin", "kami",
           "niyo", "nyo", "sila", "ba", "pa", "na", "sa", "kailangan", "tulong", "baha", "ninyo"},
}

_SHARED_WORDS = {w for a in TWEET_LANG_WORDS for b in TWEET_LANG_WORDS if a < b
                 for w in TWEET_LANG_WORDS[a] & TWEET_LANG_WORDS[b]}
TWEET_LANG_WORDS = {k: v - _SHARED_WORDS for k, v in TWEET_LANG_WORDS.items()}

# Local language of an event: a tie-breaker for the word counts above.
EVENT_LOCAL_LANG = {
    "2012_Costa_Rica_earthquake": "es", "2012_Guatemala_earthquake": "es",
    "2012_Venezuela_refinery": "es", "2013_Spain_train_crash": "es",
    "2013_Lac_Megantic_train_crash": "fr", "2012_Italy_earthquakes": "it", "2013_Sardinia_floods": "it",
    "2013_Brazil_nightclub_fire": "pt", "2013_Russia_meteor": "ru",
    "2012_Philipinnes_floods": "tl", "2012_Typhoon_Pablo": "tl", "2013_Bohol_earthquake": "tl",
    "2013_Manila_floods": "tl", "2013_Typhoon_Yolanda": "tl",
}

WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")
URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"@\w+")
RT_PREFIX_RE = re.compile(r"^(?:\s*(?:rt|mt|via)\s*:?\s*@\w+\s*:?)+", re.IGNORECASE)


def words(text):
    return WORD_RE.findall(text.lower())


BROKEN_TEXT_RE = re.compile("\ufffd|Ã.|â€|@@")  # encoding damage in the sources' texts


def readable(text):
    """Three words of two letters or more once URLs and mentions are gone, and no broken encoding."""
    text = MENTION_RE.sub(" ", URL_RE.sub(" ", text))
    return sum(len(w) >= 2 for w in words(text)) >= 3 and not BROKEN_TEXT_RE.search(text)


def clean(text):
    return " ".join(text.split())


def haiti_lang(text):
    tokens = words(text)
    fr = sum(1 for t in tokens if t in FRENCH_WORDS - KREYOL_WORDS)
    ht = sum(1 for t in tokens if t in KREYOL_WORDS - FRENCH_WORDS)
    return "fr" if fr > ht else "ht"


def tweet_lang(text, event):
    """Best-guess language of a CrisisLex tweet ('und' when the words do not tell)."""
    body = MENTION_RE.sub(" ", URL_RE.sub(" ", text))
    if len(CYRILLIC_RE.findall(body)) >= 5:
        return "ru"
    tokens = [t for t in words(body) if t not in ("rt", "mt")]
    scores = {lang: sum(1 for t in tokens if t in vocab) for lang, vocab in TWEET_LANG_WORDS.items()}
    local = EVENT_LOCAL_LANG.get(event)
    if local in scores:
        scores[local] += 1.0
    best = max(sorted(scores), key=lambda k: scores[k])
    if scores[best] < 2:
        return "und"
    return best


# ---------------------------------------------------------------------------------------
# Prefilter patterns (used only to choose posts).

HEX_RE = re.compile(r"\\x\{([0-9A-Fa-f]+)\}")


def to_python_regex(pattern):
    """Rewrites the RE2/Hyperscan `\\x{HHHH}` code points in Python's escape syntax."""
    def repl(m):
        cp = int(m.group(1), 16)
        return "\\x%02x" % cp if cp < 0x100 else ("\\u%04x" % cp if cp < 0x10000 else "\\U%08x" % cp)
    return HEX_RE.sub(repl, pattern)


def load_patterns(path):
    patterns = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pid, name, regex = line.split("\t", 2)
            patterns.append((int(pid), name, re.compile(to_python_regex(regex), re.IGNORECASE | re.DOTALL)))
    return patterns


# Patterns that fire on almost any question or on "help"/"victims" news: too broad to
# signal a likely request/offer on their own.
BROAD_PATTERNS = {"help_relief_volunteer", "question"}


def fired(patterns, text):
    norm = unicodedata.normalize("NFC", text).lower()
    return [name for _, name, rx in patterns if rx.search(norm)]


# ---------------------------------------------------------------------------------------
# Deduplication: exact texts and near-duplicate retweets.

def dedup_key(text):
    t = unicodedata.normalize("NFKC", text).lower()
    t = RT_PREFIX_RE.sub(" ", t)
    t = URL_RE.sub(" ", t)
    t = MENTION_RE.sub(" ", t)
    t = re.sub(r"\brt\b", " ", t)
    t = t.replace("…", " ").replace("...", " ")
    t = " ".join(WORD_RE.findall(t) + re.findall(r"\d+", t))
    return t


class Deduper:
    """Rejects a post whose normalised text, or its first 60 normalised characters
    (truncated retweets), was seen before."""

    def __init__(self):
        self.full = set()
        self.prefix = set()

    def add(self, text):
        key = dedup_key(text)
        if not key:
            return False
        pre = key[:60] if len(key) >= 60 else None
        if key in self.full or (pre is not None and pre in self.prefix):
            return False
        self.full.add(key)
        if pre is not None:
            self.prefix.add(pre)
        return True


# ---------------------------------------------------------------------------------------
# Readers.

def read_figure8(shared):
    """Candidate posts: English messages and original-language texts, genre=social left out."""
    path = os.path.join(shared, "figure8_disaster_response", "disaster_response_merged.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out, seen = [], set()
    for row in rows:
        rid = row["id"]
        if rid in seen:
            continue
        seen.add(rid)
        if row["genre"] == "social":
            continue  # withdrawn by the author on privacy grounds (as in make_open_labels.py)
        num = int(rid)
        if num <= HAITI_MAX_ID:
            event = "haiti_earthquake_2010"
        elif PAKISTAN_MIN_ID <= num <= PAKISTAN_MAX_ID:
            event = "pakistan_floods_2010"
        elif row["genre"] == "news":
            event = "news"
        else:
            event = "other_direct"
        # Source tags used for enrichment only.
        tags = {"offer": row["offer"] == "1", "request": row["request"] == "1", "genre": row["genre"],
                "related": row["related"] == "1",
                "aid": any(row[k] == "1" for k in FIG8_AID_TAGS)}
        message = clean(row["message"])
        if message:
            out.append({"text": message, "source": "figure8", "source_id": rid, "event": event,
                        "lang_hint": "en", "licence": FIG8_LICENCE, "_tags": tags, "_kind": "message"})
        original = clean(row["original"])
        if original and original != message and len(words(original)) >= 3:
            if num <= HAITI_MAX_ID:
                lang = haiti_lang(original)
            elif PAKISTAN_MIN_ID <= num <= PAKISTAN_MAX_ID:
                lang = "ur"
            else:
                continue
            out.append({"text": original, "source": "figure8", "source_id": rid, "event": event,
                        "lang_hint": lang, "licence": FIG8_LICENCE, "_tags": tags, "_kind": "original"})
    return out


def read_crisislex(shared):
    path = os.path.join(shared, "crisislex_t26", "crisislex_t26_labeled_all.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        text = clean(row["tweet_text"])
        if not text:
            continue
        tags = {"info_type": row["information_type"], "informativeness": row["informativeness"]}
        out.append({"text": text, "source": "crisislex_t26",
                    "source_id": f'{row["event"]}/{row["tweet_id"]}', "event": row["event"],
                    "lang_hint": tweet_lang(text, row["event"]), "licence": CRISISLEX_LICENCE,
                    "_tags": tags})
    return out


def read_crisislex_t6(shared):
    """CrisisLex T6 (English, on/off-topic only): candidates for the extension phase."""
    folder = os.path.join(shared, "crisislex_t6")
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith("-ontopic_offtopic.csv.gz"):
            continue
        event = name[:-len("-ontopic_offtopic.csv.gz")]
        with gzip.open(os.path.join(folder, name), "rt", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            for row in reader:
                if len(row) < 3:
                    continue
                text = clean(row[1])
                if not text:
                    continue
                out.append({"text": text, "source": "crisislex_t6",
                            "source_id": event + "/" + row[0].strip().strip("'"), "event": event,
                            "lang_hint": "en", "licence": CRISISLEX_LICENCE,
                            "_tags": {"relevance": row[2].strip()}})
    return out


# ---------------------------------------------------------------------------------------
# Drawing.

def key_of(c):
    return (c["source"], c["source_id"], c.get("_kind", ""))


class Pool:
    def __init__(self, rng):
        self.rng = rng
        self.posts = []
        self.keys = set()
        self.fig8_ids = set()  # one text per figure8 message id, except in the offer stratum
        self.dedup = Deduper()

    def draw(self, candidates, n, stratum, allow_same_id=False):
        """Adds up to n of the candidates, in seeded random order, skipping posts already
        in the pool and (near-)duplicate texts. Returns how many were added."""
        cands = [c for c in candidates if key_of(c) not in self.keys]
        self.rng.shuffle(cands)
        added = 0
        for c in cands:
            if added >= n:
                break
            if c["source"] == "figure8" and not allow_same_id and c["source_id"] in self.fig8_ids:
                continue
            if not self.dedup.add(c["text"]):
                self.keys.add(key_of(c))
                continue
            post = dict(c)
            post["stratum"] = stratum
            self.posts.append(post)
            self.keys.add(key_of(c))
            if c["source"] == "figure8":
                self.fig8_ids.add(c["source_id"])
            added += 1
        return added

    def draw_per_group(self, candidates, group, n_per_group, stratum):
        groups = collections.OrderedDict()
        for c in sorted(candidates, key=lambda c: (group(c), c["source_id"], c.get("_kind", ""))):
            groups.setdefault(group(c), []).append(c)
        return sum(self.draw(cands, n_per_group, stratum) for cands in groups.values())


# Third-round cues (choose posts only): the author makes something available ...
OFFER_CUE_RE = re.compile(
    r"\b(we are collecting|we're collecting|collecting (donations|supplies|items|food|water|clothes|clothing)"
    r"|drop[- ]?off|donate at|free \w+( \w+)? (for|to) (victims|those|anyone|people|residents|evacuees|families)"
    r"|we have (extra|free|food|water|room|space|supplies|a|an)|offering|can provide|we will provide"
    r"|will be providing|accepting donations|now accepting"
    r"|(is|are|now) open (for|to) (evacuees|victims|residents|anyone|displaced)|shelter (is )?(now )?open"
    r"|giving away|free (meals?|food|water|shelter|housing|rides?|rooms?|lodging|haircuts|stay|showers|laundry"
    r"|wifi|charging)|bring (your |any )?donations|donations? (can|may) be (dropped|brought)|(have|has) (a )?spare"
    r"|if you need (a|help|anything|somewhere|place|food|water)|happy to help|let me know if you need"
    r"|we are offering|we're offering|donating \d|will donate|will match)\b", re.IGNORECASE)
# ... or addresses whoever needs it ...
IF_NEED_RE = re.compile(
    r"\b(if (you|anyone|any1|u|someone|somebody|anybody)( \w+)? needs?|let (me|us) know if (you|u|anyone)"
    r"|anyone (who )?needs?|for (anyone|those|people|families|residents|victims|evacuees)( \w+)? (affected"
    r"|displaced|in need|needing|who (need|lost))|open (to|for) (anyone|the public|residents|evacuees|victims"
    r"|displaced|those)|opened (its|their) doors|(is|are) (now )?(offering|providing)|free (of charge|meals?|food"
    r"|water|shelter|housing|rides?|rooms?|lodging|haircuts?|showers?|laundry|wi-?fi|charging|boarding|counseling"
    r"|legal|medical|childcare|storage|pet|clean ?up)|(have|got) (a |an )?(spare|extra)|(can|could) (host|house"
    r"|take in|give|lend|bring|offer)|will (host|house|take in)|available (for|to) (anyone|those|victims"
    r"|evacuees|residents|families|people))", re.IGNORECASE)
# ... and asks for something (with an offer cue: a request_and_offer candidate).
NEED_CUE_RE = re.compile(
    r"\b(need(s|ed)?|needing|urgent(ly)?|asap|shortage|running (low|out)|in need of|please (send|help|bring"
    r"|donate)|looking for|requesting)\b", re.IGNORECASE)
# Prayers and condolences "for those affected" are the cues' commonest false hit.
PRAYER_RE = re.compile(r"\bpray|prayers|thoughts|condolence", re.IGNORECASE)


# Fourth-round cues (choose posts only). Broader availability words than OFFER_CUE_RE: with
# a need cue (asks_too) they mark request_and_offer candidates ("we have pumps, looking for
# homes", "we may need drivers to deliver the supplies").
AVAILABILITY_RE = re.compile(
    r"\b(we have|i have|we've got|we got|i've got|we can|i can|we could|i could|we will|we'll|available"
    r"|we collected|we've collected|free|offering|can provide|spare|extra"
    r"|will (give|bring|drive|host|house|donate|deliver))\b", re.IGNORECASE)
# Asking for helpers, drivers or trucks (often to hand out what was collected).
VOLUNTEER_NEED_RE = re.compile(
    r"\b(volunteers? (are )?(needed|wanted)|need(s|ed)? (\w+ )?(volunteers|drivers|helpers|hands|people|trucks?)"
    r"|looking for (volunteers|drivers|helpers|people)|can use (some )?help)\b", re.IGNORECASE)
# Offer/availability and need cues of the pool's other languages.
LANG_OFFER_RE = {lang: re.compile(rx, re.IGNORECASE) for lang, rx in {
    "es": r"\b(ofrec\w*|ofrezco|tenemos|donamos|don[ée]|donaremos|regalamos|gratis|gratuit\w*|disponible\w*"
          r"|a disposici[óo]n|brindamos|prestamos|alojamiento|recibimos|estamos (recibiendo|recolectando"
          r"|entregando|repartiendo)|centros? de acopio|acopio)\b",
    "fr": r"\b(offr\w*|propos\w*|disponible\w*|gratuit\w*|h[ée]berg\w*|accueil\w*|nous avons|j'ai|on a|collecte"
          r"|dons?)\b",
    "ht": r"\b(nou gen|mwen gen|m gen|disponib\w*|gratis|ofri|nou ka|mwen ka|m ka|map bay|m ap bay|nou pral bay"
          r"|nap bay|vle ede|ka ede|pou bay)\b",
    "pt": r"\b(doamos|doando|doa[çc][õo]es|oferec\w*|dispon[ií]ve\w*|gr[áa]tis|de gra[çc]a|posto de coleta"
          r"|arrecad\w*|recebendo|temos)\b",
    "it": r"\b(offr\w*|mettiamo a disposizione|a disposizione|disponibil\w*|gratis|gratuit\w*|ospit\w*|raccolta"
          r"|raccogliamo|abbiamo|donato|doniamo)\b",
    "tl": r"\b(libreng|libre|magbibigay|mamimigay|namimigay|namigay|nagbibigay|pwede|puwede|may .{0,20}para sa"
          r"|relief goods|donation|donasyon|tatanggap|tumatanggap)\b",
    "ru": r"(предлага|бесплатн|помо[жг]ем|готов)",
}.items()}
LANG_NEED_RE = {lang: re.compile(rx, re.IGNORECASE) for lang, rx in {
    "es": r"\b(necesit\w*|urge\w*|urgente|hace falta|faltan?|se requier\w*|solicit\w*|piden|pedimos|se buscan?"
          r"|requier\w*)\b",
    "fr": r"\b(besoin|manqu\w*|urgent\w*|recherch\w*|cherch\w*|demand\w*|svp)\b",
    "ht": r"\b(bezwen|tanpri|grangou|pa gen|nou mande|mande|manke)\b",
    "pt": r"\b(precis\w*|necessit\w*|urgente|faltam?|pedimos|doe|doem|doar)\b",
    "it": r"\b(servon?o|bisogno|urgent\w*|cerchiamo|cercasi|mancan?o|necessit\w*|richiest\w*)\b",
    "tl": r"\b(kailangan|need|pakiusap|humihingi|hingi|saklolo|tulungan|tulong)\b",
    "ru": r"(нужн|нужда|срочно|помоги|требу)",
}.items()}


def close_round(pool, before):
    """The posts a round drew (those after `before`), shuffled with the round's own generator and
    numbered after the rounds before it."""
    drawn = pool.posts[before:]
    pool.rng.shuffle(drawn)
    for i, p in enumerate(drawn, before + 1):
        p["pool_id"] = "p%05d" % i
    return drawn


def aid_tagged(c):
    """Figure Eight tagged the message as a request or as aid-related (chooses posts, never a label)."""
    return c["_tags"]["request"] or c["_tags"]["aid"]


def draw_originals(pool, lang_orig, n_aid, n_related, n_untagged, round_tag):
    """Figure Eight originals of one language from three tag strata (aid/request-tagged, related
    only, untagged); returns how many were drawn."""
    got = pool.draw([c for c in lang_orig if aid_tagged(c)], n_aid, round_tag + "_figure8_original_aid_tag")
    got += pool.draw([c for c in lang_orig if not aid_tagged(c) and c["_tags"]["related"]], n_related,
                     round_tag + "_figure8_original_related")
    got += pool.draw([c for c in lang_orig if not c["_tags"]["related"]], n_untagged,
                     round_tag + "_figure8_original_untagged")
    return got


def draw_over_events(pool, lang_tweets, quota, stratum):
    """A language's quota of CrisisLex tweets spread evenly over its events, the rest from any."""
    n_events = len({c["event"] for c in lang_tweets}) or 1
    got = pool.draw_per_group(lang_tweets, lambda c: c["event"], quota // n_events + 1, stratum)
    return got + pool.draw(lang_tweets, quota - got, stratum)


def asks_too(text):
    """A need cue outside the offer cues' own words ("if you need" is an offer, not a need)."""
    return NEED_CUE_RE.search(IF_NEED_RE.sub(" ", OFFER_CUE_RE.sub(" ", text))) is not None


def specific(names):
    return [n for n in names if n not in BROAD_PATTERNS]


def build(args):
    rng = random.Random(args.seed)
    patterns = load_patterns(args.patterns)
    fig8 = read_figure8(args.shared)
    tweets = read_crisislex(args.shared)
    for c in fig8 + tweets:
        c["_fired"] = fired(patterns, c["text"])
    pool = Pool(rng)

    # Figure Eight -------------------------------------------------------------------
    en = [c for c in fig8 if c["_kind"] == "message"]
    orig = [c for c in fig8 if c["_kind"] == "original"]
    # Every message the source tagged as an offer, English and original (the rarest class).
    pool.draw([c for c in fig8 if c["_tags"]["offer"]], 10**6, "figure8_offer_tag", allow_same_id=True)
    pool.draw([c for c in en if c["_tags"]["request"] and c["_tags"]["genre"] == "direct"], 330,
              "figure8_request_tag")
    pool.draw([c for c in en if c["_tags"]["request"] and c["_tags"]["genre"] == "news"], 120,
              "figure8_request_tag")
    for lang, n_req, n_other in (("ht", 260, 200), ("fr", 90, 70), ("ur", 45, 45)):
        lang_orig = [c for c in orig if c["lang_hint"] == lang]
        pool.draw([c for c in lang_orig if c["_tags"]["request"]], n_req, "figure8_request_tag_original")
        pool.draw([c for c in lang_orig if not c["_tags"]["request"] and specific(c["_fired"])],
                  n_other // 2, "figure8_prefilter_original")
        pool.draw([c for c in lang_orig if not c["_tags"]["request"]], n_other - n_other // 2,
                  "figure8_ordinary_original")
    no_tag = [c for c in en if not c["_tags"]["request"] and not c["_tags"]["offer"]]
    pool.draw([c for c in no_tag if specific(c["_fired"])], 260, "figure8_prefilter")
    pool.draw([c for c in no_tag if not specific(c["_fired"]) and c["_tags"]["genre"] == "direct"], 170,
              "figure8_ordinary")
    pool.draw([c for c in no_tag if not specific(c["_fired"]) and c["_tags"]["genre"] == "news"], 150,
              "figure8_ordinary")

    # CrisisLex T26 -------------------------------------------------------------------
    by_event = lambda c: c["event"]
    donations = [c for c in tweets if c["_tags"]["info_type"] == "Donations and volunteering"]
    pool.draw_per_group(donations, by_event, 130, "crisislex_donations_volunteering")
    others = [c for c in tweets if c["_tags"]["info_type"] != "Donations and volunteering"]
    pool.draw_per_group([c for c in others if specific(c["_fired"])], by_event, 20, "crisislex_prefilter")
    non_en = [c for c in others if c["lang_hint"] in ("es", "fr", "it", "pt", "ru", "tl")]
    pool.draw_per_group(non_en, lambda c: c["lang_hint"], 60, "crisislex_non_english")
    pool.draw_per_group(others, by_event, 28, "crisislex_ordinary")

    # Shuffle so every chunk mixes sources, then number.
    posts = pool.posts
    rng.shuffle(posts)
    for i, p in enumerate(posts, 1):
        p["pool_id"] = "p%05d" % i
    first_extension_chunk = (len(posts) + CHUNK_SIZE - 1) // CHUNK_SIZE + 1

    # Extension (second round): more real offers and request_and_offer posts, the classes the
    # first round found too rare (243 offers, 14 both in 4,981 posts). Drawn after the first
    # round with its own seeded generator, so the first round's pool ids and chunks are
    # unchanged; its chunks start on a new chunk file.
    if args.extension > 0:
        ext_rng = random.Random(args.seed * 1000 + 1)
        pool.rng = ext_rng
        before = len(pool.posts)
        t6 = read_crisislex_t6(args.shared)
        for c in t6:
            c["_fired"] = fired(patterns, c["text"])
        offer_cues = {"dm_me", "can_help", "free_for", "giving_away", "collecting", "drop_off",
                      "volunteers_needed", "offer_words", "donation"}
        budget = args.extension
        # Remaining CrisisLex T26 donation/volunteering tweets (every event, every language).
        n = pool.draw(donations, budget * 2 // 5, "ext_crisislex_donations_volunteering")
        # Tweets where an offer cue fires: T26 outside the donations class, and T6 on-topic.
        n += pool.draw([c for c in others if offer_cues & set(c["_fired"])], budget // 5,
                       "ext_crisislex_offer_cue")
        t6_on = [c for c in t6 if c["_tags"]["relevance"] == "on-topic"]
        n += pool.draw([c for c in t6_on if offer_cues & set(c["_fired"])], budget * 3 // 10,
                       "ext_crisislex_t6_offer_cue")
        # Figure Eight originals with an offer cue (non-English offers are the rarest cell).
        n += pool.draw([c for c in orig if specific(c["_fired"])], budget // 20,
                       "ext_figure8_prefilter_original")
        # Ordinary on-topic T6 tweets so the extension is not all offers.
        pool.draw(t6_on, budget - n, "ext_crisislex_t6_ordinary")
        ext = pool.posts[before:]
        ext_rng.shuffle(ext)
        for i, p in enumerate(ext, before + 1):
            p["pool_id"] = "p%05d" % i
        posts = pool.posts[:before] + ext
    else:
        ext = []

    # Third round: offers and request_and_offer are still too rare after round 2 (about 315
    # offers, 20 both in 6,181 posts). Its strata come from reading samples of undrawn posts
    # (yields in data/labels/pool/README.md): Figure Eight's non-Haiti/Pakistan direct
    # messages (volunteers and donors saying what they can give), CrisisLex T6 on-topic tweets
    # with an availability cue, and ordinary T6 on-topic tweets. Own seeded generator; the
    # rounds before keep their ids, chunks and bytes.
    r3 = []
    if args.round3 > 0:
        if args.extension <= 0:
            sys.exit("--round3 needs --extension (the rounds are drawn in order)")
        pool.rng = random.Random(args.seed * 1000 + 2)
        before = len(posts)
        budget = args.round3
        t6_on = [c for c in t6 if c["_tags"]["relevance"] == "on-topic"]
        t6_cue = [c for c in t6_on if (OFFER_CUE_RE.search(c["text"]) or IF_NEED_RE.search(c["text"]))
                  and not PRAYER_RE.search(c["text"])]
        # A need and an offer cue together: the likeliest request_and_offer posts.
        n = pool.draw([c for c in t6_cue if asks_too(c["text"])], budget, "r3_crisislex_t6_need_and_offer_cue")
        n += pool.draw(t6_cue, budget * 3 // 10 - n, "r3_crisislex_t6_offer_cue")
        n += pool.draw([c for c in en if c["event"] == "other_direct"], budget // 2,
                       "r3_figure8_other_direct")
        # Ordinary on-topic T6 tweets so the round is not all offers.
        pool.draw(t6_on, budget - n, "r3_crisislex_t6_ordinary")
        r3 = close_round(pool, before)
        posts = posts + r3

    # Fourth round: request_and_offer (23 in 7,181 posts) and non-English offers are still
    # almost absent. Strata from reading samples of undrawn posts (yields in
    # data/labels/pool/README.md): every undrawn English post with a need and an availability
    # cue, volunteer/driver calls, the last other_direct messages and T26 "Donations and
    # volunteering" tweets, then T6 availability-cue tweets for half the budget; every undrawn
    # CrisisLex T26 tweet in es/it/pt/fr/tl/ru with an offer or need cue of its language, and
    # Figure Eight French and Kreyol originals with an offer cue. Own seeded generator; the
    # rounds before keep their ids, chunks and bytes.
    r4 = []
    if args.round4 > 0:
        if args.round3 <= 0:
            sys.exit("--round4 needs --round3 (the rounds are drawn in order)")
        pool.rng = random.Random(args.seed * 1000 + 3)
        before = len(posts)
        budget = args.round4
        both_cues = lambda t: ((OFFER_CUE_RE.search(t) or IF_NEED_RE.search(t) or AVAILABILITY_RE.search(t))
                               and asks_too(t) and not PRAYER_RE.search(t))
        t26_en = [c for c in tweets if c["lang_hint"] in ("en", "und")]
        n = pool.draw([c for c in t6_on if both_cues(c["text"])], budget, "r4_crisislex_t6_need_and_offer_cue")
        n += pool.draw([c for c in t26_en if both_cues(c["text"])], budget, "r4_crisislex_t26_need_and_offer_cue")
        n += pool.draw([c for c in t6_on if VOLUNTEER_NEED_RE.search(c["text"])], budget,
                       "r4_crisislex_t6_volunteer_need")
        n += pool.draw([c for c in en if c["event"] == "other_direct"], budget, "r4_figure8_other_direct")
        n += pool.draw(donations, budget, "r4_crisislex_donations_volunteering")
        n += pool.draw([c for c in t6_on if AVAILABILITY_RE.search(c["text"]) and not PRAYER_RE.search(c["text"])],
                       budget // 2 - n, "r4_crisislex_t6_availability_cue")
        lang_cue = lambda c: (LANG_OFFER_RE[c["lang_hint"]].search(c["text"])
                              or LANG_NEED_RE[c["lang_hint"]].search(c["text"]))
        n += pool.draw([c for c in tweets if c["lang_hint"] in LANG_OFFER_RE and lang_cue(c)], budget,
                       "r4_crisislex_non_english_cue")
        n += pool.draw([c for c in orig if c["lang_hint"] == "fr" and LANG_OFFER_RE["fr"].search(c["text"])],
                       budget - n, "r4_figure8_fr_original_offer_cue")
        pool.draw([c for c in orig if c["lang_hint"] == "ht" and LANG_OFFER_RE["ht"].search(c["text"])
                   and not LANG_NEED_RE["ht"].search(c["text"])], budget - n, "r4_figure8_ht_original_offer_cue")
        r4 = close_round(pool, before)
        posts = posts + r4

    # Fifth round: more labelled data outside English and more actionable posts (the classifier
    # is data-starved above all in ht/fr/es/it). Non-English first, in quotas per language (the
    # undrawn supply far exceeds the budget; Urdu is taken to the last post): Figure Eight
    # originals (aid/request-tagged, related only, untagged) and CrisisLex T26 tweets spread over
    # each language's events; the English rest from T26 stratified by event and information
    # type (actionable types get the larger share) and Figure Eight English messages with
    # request/aid tags plus ordinary ones. Unreadable texts are skipped. Own seeded generator;
    # the rounds before keep their ids, chunks and bytes.
    r5 = []
    if args.round5 > 0:
        if args.round4 <= 0:
            sys.exit("--round5 needs --round4 (the rounds are drawn in order)")
        pool.rng = random.Random(args.seed * 1000 + 4)
        before = len(posts)
        budget = args.round5
        n = 0
        for lang, n_aid, n_related, n_untagged in R5_FIG8_ORIGINAL_QUOTAS:
            n += draw_originals(pool, [c for c in orig if c["lang_hint"] == lang and readable(c["text"])],
                                n_aid, n_related, n_untagged, "r5")
        for lang, quota in R5_T26_LANG_QUOTAS:
            n += draw_over_events(pool, [c for c in tweets if c["lang_hint"] == lang and readable(c["text"])],
                                  quota, "r5_crisislex_non_english")
        t26_en = [c for c in tweets if c["lang_hint"] in ("en", "und") and readable(c["text"])]
        by_event_type = lambda c: (c["event"], c["_tags"]["info_type"])
        n += pool.draw_per_group([c for c in t26_en if c["_tags"]["info_type"] in T26_ACTIONABLE_TYPES],
                                 by_event_type, 3, "r5_crisislex_en_actionable_type")
        n += pool.draw_per_group([c for c in t26_en if c["_tags"]["info_type"] not in T26_ACTIONABLE_TYPES],
                                 by_event_type, 1, "r5_crisislex_en_other_type")
        fig8_en = [c for c in en if readable(c["text"])]
        n += pool.draw_per_group([c for c in fig8_en if aid_tagged(c)], by_event, 100, "r5_figure8_aid_tag")
        pool.draw([c for c in fig8_en if not aid_tagged(c)], budget - n, "r5_figure8_ordinary")
        r5 = close_round(pool, before)
        posts = posts + r5

    # Sixth round (non-English only): the same Figure Eight original strata and T26 language
    # strata as round 5 with larger quotas; a language's other originals fill its shortfall,
    # then Kreyòl originals of any tag fill the round.
    # Own seeded generator; the rounds before keep their ids, chunks and bytes.
    r6 = []
    if args.round6 > 0:
        if args.round5 <= 0:
            sys.exit("--round6 needs --round5 (the rounds are drawn in order)")
        pool.rng = random.Random(args.seed * 1000 + 5)
        before = len(posts)
        n = 0
        for lang, n_aid, n_related, n_untagged in R6_FIG8_ORIGINAL_QUOTAS:
            lang_orig = [c for c in orig if c["lang_hint"] == lang and readable(c["text"])]
            got = draw_originals(pool, lang_orig, n_aid, n_related, n_untagged, "r6")
            # French aid-tagged originals run out: the language's other originals make up its quota.
            got += pool.draw(lang_orig, n_aid + n_related + n_untagged - got, "r6_figure8_original_fill")
            n += got
        for lang, quota in R6_T26_LANG_QUOTAS:
            n += draw_over_events(pool, [c for c in tweets if c["lang_hint"] == lang and readable(c["text"])],
                                  quota, "r6_crisislex_non_english")
        pool.draw([c for c in orig if c["lang_hint"] == "ht" and readable(c["text"])], args.round6 - n,
                  "r6_figure8_original_fill")
        r6 = close_round(pool, before)
        posts = posts + r6

    os.makedirs(os.path.join(args.out, "chunks"), exist_ok=True)
    for old in os.listdir(os.path.join(args.out, "chunks")):
        if old.startswith("chunk_") and old.endswith(".jsonl"):
            os.remove(os.path.join(args.out, "chunks", old))
    fields = ("pool_id", "text", "source", "source_id", "event", "lang_hint", "licence", "stratum")
    with open(os.path.join(args.out, "pool.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for p in posts:
            f.write(json.dumps({k: p[k] for k in fields}, ensure_ascii=False) + "\n")

    def write_chunks(group, first):
        count = (len(group) + CHUNK_SIZE - 1) // CHUNK_SIZE
        for k in range(count):
            with open(os.path.join(args.out, "chunks", "chunk_%02d.jsonl" % (first + k)), "w",
                      encoding="utf-8", newline="\n") as f:
                for p in group[k * CHUNK_SIZE:(k + 1) * CHUNK_SIZE]:
                    f.write(json.dumps({"pool_id": p["pool_id"], "text": p["text"]}, ensure_ascii=False) + "\n")
        return count

    later_rounds = [("round3", r3), ("round4", r4), ("round5", r5), ("round6", r6)]
    n_chunks = write_chunks(posts[:len(posts) - len(ext) - sum(len(r) for _, r in later_rounds)], 1)
    n_chunks += write_chunks(ext, first_extension_chunk)
    round_counts = {}
    for name, drawn in later_rounds:
        first = 1 + n_chunks
        n_chunks += write_chunks(drawn, first)
        if drawn:
            round_counts[name] = len(drawn)
            round_counts[name + "_first_chunk"] = first

    counts = {
        "total": len(posts),
        "chunks": n_chunks,
        "extension": len(ext),
        "extension_first_chunk": first_extension_chunk if ext else None,
        **round_counts,
        "source": collections.Counter(p["source"] for p in posts),
        "lang_hint": collections.Counter(p["lang_hint"] for p in posts),
        "stratum": collections.Counter(p["stratum"] for p in posts),
        "source_lang": collections.Counter(p["source"] + "/" + p["lang_hint"] for p in posts),
        "event": collections.Counter(p["source"] + "/" + p["event"] for p in posts),
        "prefilter_fires_specific": sum(1 for p in posts if specific(p["_fired"])),
    }
    counts = {k: (dict(sorted(v.items())) if isinstance(v, collections.Counter) else v) for k, v in counts.items()}
    with open(os.path.join(args.out, "counts.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(counts, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(json.dumps(counts, ensure_ascii=False, indent=1), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True, help="folder holding figure8_disaster_response/ and crisislex_t26/")
    parser.add_argument("--patterns", default="data/prefilter/patterns.txt")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--extension", type=int, default=0,
                        help="posts in the second round (rare-class enrichment); 0 = first round only")
    parser.add_argument("--round3", type=int, default=0,
                        help="posts in the third round (offer-targeted strata); 0 = none")
    parser.add_argument("--round4", type=int, default=0,
                        help="posts in the fourth round (request_and_offer and non-English strata); 0 = none")
    parser.add_argument("--round5", type=int, default=0,
                        help="posts in the fifth round (non-English and actionable strata); 0 = none")
    parser.add_argument("--round6", type=int, default=0,
                        help="posts in the sixth round (non-English strata only); 0 = none")
    args = parser.parse_args()
    build(args)


if __name__ == "__main__":
    main()
