"""Every Swedish word list and phrase pattern KraftBot matches against, in one place.

Tuning what counts as a stopword, a number word, a statement of absence or an injection attempt
happens here; the stages that use them import the names.
"""

from __future__ import annotations

import re

# Function words that carry no topic (based on the Snowball project's Swedish stopword list).
_STOPWORD_TEXT = """
    alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina
    ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon
    honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig min mina mitt mot
    mycket ni nu när någon något några och om oss på samma sedan sig sin sina sitta själv skulle
    som så sådan sådana sådant till under upp ut utan vad var vara varför varit varje vars vart vem
    vi vid vilka vilkas vilken vilket vår våra vårt än är åt över
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

SCALES = {"tusen": 1e3, "tkr": 1e3, "miljon": 1e6, "miljoner": 1e6, "milj": 1e6, "mkr": 1e6, "mnkr": 1e6}
SCALES |= {"miljard": 1e9, "miljarder": 1e9, "mdr": 1e9, "mrd": 1e9}
NUMBER_WORDS = {
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "elva": 11,
    "tolv": 12,
    "tjugo": 20,
    "trettio": 30,
    "fyrtio": 40,
    "femtio": 50,
    "hundra": 100,
}
MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}

# Capitalised words that open Swedish sentences without being names.
COMMON_STARTS = frozenset(
    {
        "det",
        "den",
        "de",
        "detta",
        "denna",
        "dessa",
        "du",
        "ni",
        "vi",
        "man",
        "jag",
        "han",
        "hon",
        "enligt",
        "ja",
        "nej",
        "dessutom",
        "men",
        "och",
        "eller",
        "om",
        "för",
        "till",
        "med",
        "efter",
        "innan",
        "när",
        "där",
        "här",
        "hur",
        "vad",
        "vem",
        "vilka",
        "vilken",
        "vilket",
        "alla",
        "varje",
        "även",
        "också",
        "bidraget",
        "projektet",
        "projekten",
        "utlysningen",
        "satsningen",
        "ansökan",
        "underlaget",
        "källan",
        "källorna",
        "svaret",
        "sammanfattningsvis",
        "kort",
        "totalt",
        "först",
        "sedan",
        "slutligen",
        "i",
        "på",
        "av",
        "vid",
        "under",
        "från",
        "som",
        "att",
        "nu",
        "inom",
        "utöver",
        "mellan",
        "genom",
        "ett",
        "en",
        "observera",
        "tänk",
        "ur",
    }
)

# Words that answer a yes/no question without telling anything the question did not.
BARE_REPLIES = "ja nej jo inte finns"

# A passage sentence saying that the material lacks something.
ABSENCE = re.compile(
    r"\b(saknas|finns inte|finns inga|finns varken|innehåller inte|innehåller ingen|är okän[dt]"
    r"|inte känd|inte känt|ingen uppgift|inga uppgifter|framgår inte|anges inte|säger alltså inte)\b",
    re.IGNORECASE,
)

# An answer saying that the material lacks something: the model's own refusal.
MATERIAL_ABSENCE = re.compile(
    r"\b(finns inte|finns ingen|saknas|framgår inte|anges inte|nämns inte|står inte)\b.{0,60}"
    r"\b(underlag|källor|källan|dokument)|\b(underlaget|källorna|källan)\b.{0,60}"
    r"\b(innehåller inte|säger inte|anger inte|nämner inte|saknar)|\b(är okänt|inte känt|vet jag inte)\b",
    re.IGNORECASE | re.DOTALL,
)

# A plain RAG pipeline's refusal, as the naive baseline's prompt asks for it ("svaret finns inte i det
# givna sammanhanget"): how the evaluation tells that baseline's refusals from its answers.
CONTEXT_DECLINE = re.compile(
    r"\b(finns inte|framgår inte|nämns inte|står inte|saknas|anges inte)\b.{0,60}"
    r"\b(sammanhang|kontext|underlag|källor|källan|texten|informationen)|\bvet (jag )?inte\b"
    r"|\bkan (jag )?inte (svara|besvara)|\bnot (in|provided in) the (provided |given )?context\b",
    re.IGNORECASE | re.DOTALL,
)

INJECTION_ATTEMPT = re.compile(
    "|".join(
        [
            r"\b(ignorera|strunta i|glöm|bortse från)\b.{0,40}\b(instruktion|regler|anvisning|tidigare|ovan)",
            r"\b(ignore|disregard|forget)\b.{0,40}\b(instruction|rules|previous|above|prompt)",
            r"^\s*(system|assistant|assistent|developer)\s*:",
            r"<\|[^|>]{1,40}\|>|\[/?INST\]|<</?SYS>>|</?(system|assistant)>",
            r"\bdu är (inte längre|nu|numera)\b|\byou are (now|no longer)\b|\bfrån och med nu\b",
            r"\bhitta på (ett|en|svar|något|uppgift|siffr|belopp)|\b(fabricera|make up|invent|fabricate)",
            r"\b(nya regler|new rules|utan (några )?begränsningar|without (any )?(restrictions|limits))\b",
            r"\b(låtsas|pretend|roleplay|rollspel)\b",
            r"\b(hotfull|kränkande|förolämp)\w*",
            r"\b(systemprompt|system prompt|dina instruktioner|your instructions)\b",
        ]
    ),
    re.IGNORECASE | re.MULTILINE,
)

# A Swedish telephone number as people write it: 08-123 456 78, 08-12 34 56, 070-123 45 67, 0771-123 456,
# (08) 123 45 67, +46 8 123 456 78, +46 (0)70-123 45 67: a trunk 0 or +46, an area code that does not
# open with 0, and 7 to 10 digits in all with single spaces, hyphens or slashes between groups. Dates
# (2024-01-23), diary numbers (2023-01699) and amounts (10 000 000) open with no 0 followed by 1-9.
PHONE_NUMBER = re.compile(
    r"(?<![\w+])(?:\+46[ -]?(?:\(0\)[ -]?)?|\(?0)"  # +46, +46 (0) or a trunk 0, (08) in brackets
    r"[1-9](?:(?:[ \u00a0/–-]|\)[ ]?)?\d){5,8}(?!\d)"  # area code and number: 6 to 9 digits, single separators
)
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")

# What a question asks for, and what a passage must hold to answer it: a number to call, an address to
# write to, or either ("kontaktuppgifter"). A question about whom to contact with no such word ("Vem ska
# jag kontakta?") can be answered by a name, so it asks for neither.
CONTACT_DETAILS = [
    (re.compile(r"\btelefon\w*|\bmobilnummer\w*|\bring(a|er)?\b", re.IGNORECASE), PHONE_NUMBER),
    (
        re.compile(r"\b(e-?post|mejl|mail)adress\w*|\b(mejla|maila|e-posta)\b", re.IGNORECASE),
        EMAIL_ADDRESS,
    ),
    (
        re.compile(r"\bkontaktuppgift\w*|\bkontaktinformation\w*", re.IGNORECASE),
        re.compile(f"{PHONE_NUMBER.pattern}|{EMAIL_ADDRESS.pattern}"),
    ),
]

# English words that carry no topic: an English question is a question even when none of its
# content words occurs in the (Swedish) documents, and its capitalised words are no names.
_ENGLISH_FUNCTION_TEXT = """
    a about an and any are as at be been but by can could did do does for from had has have how i if in
    is it may me might must my no not of on or our should so than that the their there these this those
    to us was we were what when where which who whom whose why will with would you your
"""
ENGLISH_FUNCTION_WORDS = frozenset(_ENGLISH_FUNCTION_TEXT.split())

# Capitalised in English, yet no name whose absence from the documents means a false premise.
PROPER_ADJECTIVES = frozenset(["swedish", "sweden", "english", "european", "nordic", "scandinavian"])

# Input that is code, markup or an attack string rather than a question ("'; DROP TABLE users; --").
CODE_INPUT = re.compile(
    r"<\s*/?\s*(script|iframe|img|svg|object|style)\b|\bjavascript:|\bon(error|load)\s*="
    r"|\bselect\s+(\*|\w+(\s*,\s*\w+)*)\s+from\s+\w+|\b(drop|truncate|alter)\s+table\b|\binsert\s+into\s+\w+"
    r"|\bdelete\s+from\s+\w+\s*(;|where\b|$)|\bunion\s+(all\s+)?select\b|\bupdate\s+\w+\s+set\s+\w+\s*="
    r"|'\s*;|;\s*--|\bor\s+1\s*=\s*1\b|\brm\s+-rf\b|\$\(|\{\{.*\}\}",
    re.IGNORECASE | re.DOTALL,
)

# Words that open a question for a fact (sv, en), and a question opening with one.
QUESTION_WORDS = r"(?:hur|när|vad|vem|vilka|vilken|vilket|var|vart|varför|how|when|what|who|which|where|why)\b"
QUESTION_OPENING = re.compile(r"^\W*" + QUESTION_WORDS, re.IGNORECASE)

# A yes/no question opens with its verb ("Kan en förening söka?", "Does it ...?"): it tests a claim
# instead of taking one for granted.
YES_NO_OPENING = re.compile(
    r"^\W*(kan|får|fick|är|var|finns|fanns|har|hade|ska|skulle|måste|behöver|gäller|gällde|blir|blev|stämmer"
    r"|räcker|krävs|kräver|brukar|går|gick|kommer|borde|bör|ingår|hör|innebär|betyder|leder|ledde"
    r"|can|could|is|are|was|were|does|do|did|has|have|had|should|must|will|would|may)\b",
    re.IGNORECASE,
)

# A yes/no question about what is allowed or required ("Kan Kiruna kommun söka?") asks about the
# rules, which hold for any municipality: a name the documents do not mention is no false premise.
RULE_QUESTION = re.compile(
    r"^\W*(kan|får|ska|måste|behöver|krävs|går det|can|may|must|should|is it possible)\b"
    r"|\b(kan|får|ska|måste|behöver|bör)\s+(vi|man|jag|ni|en|ett|de|vår|min|kommunen|föreningen|organisationen)\b"
    r"|\b(can|may|must|should)\s+(we|i|you|a|an|our|my|the)\b",
    re.IGNORECASE,
)

# How applicants abbreviate in a chat ("hur mkt kan vi få", "va e det o vem får söka"): the words
# they stand for, so that search, ranking and the kind of fact asked for see the question.
CHAT_WORDS = {
    "mkt": "mycket",
    "nåt": "något",
    "nån": "någon",
    "nåra": "några",
    "ngt": "något",
    "ngn": "någon",
    "ngr": "några",
    "e": "är",
    "o": "och",
    "va": "vad",
    "vart": "var",
    "dom": "de",
    "el": "eller",
    "oxå": "också",
    "sen": "sedan",
    "tex": "till exempel",
    "bla": "bland annat",
    "iaf": "i alla fall",
    "pga": "på grund av",
    "mha": "med hjälp av",
}
CHAT_WORD = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, CHAT_WORDS), key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)

# What kind of fact a question asks for.
ASKS = {
    # "när" opens a question ("När startade ...?", "... och när avslutades ...?"); elsewhere it is a conjunction.
    "date": re.compile(
        r"(^|[,?]\s*|\boch\s+)när\b|\bvilket (datum|år)\b|\bvilken (dag|månad)\b|\bwhen\b|\bwhat date\b",
        re.IGNORECASE,
    ),
    "share": re.compile(r"\bprocent|\bandel\b|\bhur stor del\b|\bstödnivå|\bpercent|\bshare of\b", re.IGNORECASE),
    "amount": re.compile(r"\bhur (mycket|stor[at]?)\b|\bbelopp|\bbudget|\bhow much\b", re.IGNORECASE),
    "count": re.compile(r"\bhur många\b|\bantal\b|\bhow many\b", re.IGNORECASE),
    "name": re.compile(
        r"\bvem\b|\bvilka\b|\bvilken (högskola|kommun|organisation|myndighet|webbplats|utlysning)|\bwho\b",
        re.IGNORECASE,
    ),
}

# Words that deny what a sentence says: a written sentence must keep its evidence's polarity.
NEGATIONS = ("inte", "ej", "icke", "aldrig", "ingen", "inget", "inga", "varken", "not", "never")

# Everyday questions on other subjects, in Swedish and English. Whatever the documents are about, these are
# off topic for nearly all of them: how close they come to an index (their best dense cosines) is that
# index's measure of "off topic" (`answering.gate.OffTopicBaseline`), so the gate assumes no cosine
# calibrated on one corpus or one embedder. The median and spread are used, so one probe that happens to
# be on a corpus's subject moves little.
OFF_TOPIC_PROBES = (
    "Vilken tid går sista tåget till Malmö i kväll?",
    "Hur lång tid ska ett ägg koka för att bli löskokt?",
    "Vem vann Melodifestivalen förra året?",
    "Vad är huvudstaden i Australien?",
    "Hur byter jag däck på en cykel?",
    "Vilken film ska jag se på bio i helgen?",
    "Hur mycket ska en valp äta per dag?",
    "Vad är skillnaden mellan en krokodil och en alligator?",
    "Kan du rekommendera en bra deckare att läsa?",
    "Hur tar jag bort en vinfläck från en vit skjorta?",
    "När öppnar Systembolaget på lördagar?",
    "Hur många kalorier finns det i en banan?",
    "Vad ska jag packa inför en fjällvandring?",
    "Hur planterar man tulpanlökar?",
    "Vem skrev Röda rummet?",
    "Hur fungerar en värmepump?",
    "Vad betyder ordet melankoli?",
    "Hur gammal kan en sköldpadda bli?",
    "Hur lär jag mig spela gitarr snabbt?",
    "Vilket lag leder hockeyligan just nu?",
    "How do I reset my wifi router?",
    "What is the capital of Canada?",
    "Can you recommend a good pizza place nearby?",
    "How long does it take to fly to New York?",
)
