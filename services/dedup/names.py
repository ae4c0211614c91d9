"""Similarity of Indian personal names, for flagging potential duplicate members.

Names of SHG members and of their husbands or fathers reach LokOS typed by many hands: in
Latin letters under several regional spelling habits (Seeta/Sita, Laxmi/Lakshmi, Parbati/
Parvati, Bijoy/Vijay), with honorifics and relation markers ("Smt.", "Km.", "W/o"), with
South Indian initials ("K. Lakshmi", "Lakshmi K") and in Indian scripts. The approach:

1. ``name_form`` turns a raw name into a ``NameForm``. Indian scripts go through the
   ``indic_transliteration`` library (ISO 15919), then get what names need on top: the
   inherent vowel that northern languages do not say is deleted ("कमला" is Kamla), Tamil
   plosives are voiced by their neighbours (முருகன் is Murugan, லட்சுமி is Lakshmi), Assamese
   keeps its o. Perso-Arabic (Urdu) is not covered by the library and goes through
   ``anyascii``. Honorifics and the part after a relation marker are dropped, single
   letters become initials, attached suffixes are split off (Geetaben, Rameshbhai, and
   the southern -amma/-ammal whose stem lost its last vowel: Gowramma is Gowri), and each
   token is folded by the ordered rewrite rules in ``_FOLD_RULES`` (aspirates, v/w/b, long
   vowels, doubled letters...) and the aliases of ``_ALIAS_RULES`` (Md/Mohammad, surname
   forms such as Verma/Varma and Mukherjee/Mukhopadhyay from ``name_data``), so most
   spelling variants collapse to one token before any fuzzy scoring happens.

2. ``name_score`` aligns the *distinctive* tokens of two names, in any order: each token is
   compared with every token of the other name by rapidfuzz's normalised Indel ratio,
   raised when the tokens are equal up to vowel classes (Luxmi/Laxmi, Bijoy/Bijay) or one
   keyboard or hearing slip apart when the slip does not make another known name
   (Sunira/Sunita, but not Sunita/Sumita), and lowered when their first letters differ
   (Sita/Gita, Rekha/Lekha), their consonants differ (Sunita/Sumita, Anita/Ankita) or they
   are the male and female forms of one root (Santosh/Santoshi, Sushil/Sushila). The
   shorter name must be covered by the longer one; extra tokens cost a little, a surname
   written on one name only almost nothing (Hemlata Sharma/Hemlata). The names glued
   together are compared too (Rampyari/Ram Pyari). Weak tokens (Devi, Kumari, Bai,
   Begum...) never carry a match on their own, but the gender they carry is compared:
   "Basanti Kumari" is not "Basant Kumar", "Laxmi Devi" is not "Laxmi Narayan". Conflicting
   initials ("K. Lakshmi" versus "M. Lakshmi") are a strong penalty.

3. ``score_pairs`` computes exactly the same score for many pairs at once: each distinct
   form is profiled once, tokens become integer ids, each distinct token pair of the batch
   is scored once (and cached across batches), and the alignment and corrections are numpy
   operations over whole columns.

4. ``blocking_keys`` gives short keys (first letter and consonant skeleton of the given
   names, surnames and suffixes left out) so that a database index can find candidates;
   variants that the folding collapses, or that only differ in vowels, share keys by
   construction, and a name in its own script has the keys of its Latin spelling.
   ``name_keys`` adds a key made of her first letter and her relative's first name, so a
   slip in her name does not hide her.

Precision matters more than recall here: a match raises a flag that block staff review by
hand. The thresholds were tuned on ``tests/unit/dedup/name_pairs.csv``; the service's whole
decision is measured on ``tests/unit/dedup/member_pairs.csv`` (``services.dedup.evaluation``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from anyascii import anyascii
from indic_transliteration import sanscript
from rapidfuzz import fuzz

from services.dedup import name_data

__all__ = [
    "MAX_NAME_LENGTH",
    "NAME_THRESHOLD",
    "NameForm",
    "blocking_keys",
    "is_similar",
    "name_form",
    "name_keys",
    "name_score",
    "relative_key",
    "score_pairs",
]

MAX_NAME_LENGTH = 200

# ---------------------------------------------------------------------------------------------
# Scoring parameters (tuned on tests/unit/dedup/name_pairs.csv, then checked against the
# member pairs of tests/unit/dedup/member_pairs.csv, written before the rules they test).

NAME_THRESHOLD: float = 85.0
# Most different Indian names differ in their first sound (Sita/Gita, Meena/Reena,
# Asha/Usha), while transliteration variants almost never do once folded.
_HEAD_PENALTY = 15.0
# Tokens equal up to vowel classes are variants (Laxmi/Luxmi, Bijay/Bijoy, Fatima/Fatema,
# Bengali o for a), but only this long: in short names one vowel is the whole difference
# between distinct names (Rina/Runa, Mona/Mina).
_VOWEL_MIN_LEN = 5
_VOWEL_PENALTY = 5.0
# Spelling variants keep the consonants and move vowels (Kamla/Kamala, Rajni/Rajini);
# distinct names differ in a consonant (Sunita/Sumita, Shila/Shilpa, Anita/Ankita) even
# where the ratio alone rates them as close as a variant.
_SKELETON_PENALTY = 10.0
# A token present on one side only (a middle name left out) is weak evidence against;
# several of them are stronger. A surname left out costs only _SURNAME_ABSENT_PENALTY.
_EXTRA_TOKEN_PENALTY = 7.0
_SURNAME_ABSENT_PENALTY = 1.0
# Comparing the names with their tokens glued together catches split/joined spellings
# (Premlata/Prem Lata, Rampyari/Ram Pyari); it is less reliable than the token alignment.
_JOIN_PENALTY = 3.0
# Both names carry weak tokens but none in common (Devi/Kumari, Begum/Khatun): usually the
# same woman before and after marriage, or two registers' habits, so only a nudge.
_WEAK_MISMATCH_PENALTY = 2.0
# Initials in South India stand for the father's or husband's name or the village:
# "K. Lakshmi" and "M. Lakshmi" are different women.
_INITIAL_CONFLICT_PENALTY = 40.0
_ONE_SIDED_INITIAL_PENALTY = 2.0
# A name made only of weak tokens ("Devi") against one with a real first name.
_WEAK_ONLY_SCORE = 30.0
# A woman's name against a man's: "Basanti Kumari"/"Basant Kumar", "Laxmi Devi"/"Laxmi
# Narayan", Sushila/Sushil. Brother and sister share a father and often a root.
_GENDER_PENALTY = 30.0
# A keyboard or hearing slip (Sunira for Sunita, Priyaka for Priyanka, Kavitta): similar
# enough to pass the threshold, never a strong match on its own.
_SLIP_SCORE = 90.0
# Short names have too many real neighbours (Soma/Sima, Rupa/Rumpa) to forgive a slip.
_SLIP_MIN_LEN = 5
# A southern -amma/-ammal name against its stem (Pushpammal/Pushpa, Gowramma/Gowri).
_STEM_SCORE = 97.0
# Names rarely have more distinctive tokens; bounding them bounds the work per pair.
_MAX_TOKENS = 4

_KEY_CONSONANTS = 4
_KEY_MAX_LEN = 8

# ---------------------------------------------------------------------------------------------
# Folding rules: data, applied in order to each lowercase ASCII token.

_FOLD_RULES: tuple[tuple[str, str], ...] = (
    # ज्ञ is said gy in the north and dny in Maharashtra: Gyanwati, Dnyaneshwar, Jnana.
    (r"^jn|dny", "gy"),
    # क्ष is written ksh, x, ks or kch: Lakshmi/Laxmi. A final "que" is Urdu spelling of q.
    (r"x", "ks"),
    (r"que$", "k"),
    (r"q", "k"),
    # Tamil ழ is romanised zh or l (Azhagu/Alagu, Pazhani/Palani).
    (r"zh", "l"),
    # Aspiration and the sh/s contrast are written or not depending on region and scheme:
    # Shanti/Santi, Jyothi/Jyoti, Radha/Rada, Chhaya/Chaya, Phoolmati/Fulmati.
    (r"chh?", "c"),
    (r"sh", "s"),
    # Tamil inserts a u in Sanskrit clusters: Lakshumi/Latchumi for Lakshmi.
    (r"(?<=ks)u(?=m)", ""),
    (r"th", "t"),
    (r"dh", "d"),
    (r"bh", "b"),
    (r"kh", "k"),
    (r"gh", "g"),
    (r"jh", "j"),
    (r"ph", "f"),
    (r"rh", "r"),
    # One diphthong, three spellings: Gauri/Gouri/Gowri, Kaushalya/Koushalya.
    (r"au|ou|ow(?![aeiou])", "o"),
    # Punjabi -inder and -sunder are written with the schwa as e: Balwinder/Balwindar.
    (r"(?<=d)er$", "ar"),
    # Telugu and Kannada write Rao as రావు/ರಾವು (Ravu).
    (r"(?<=a)vu$", "o"),
    # Bengali, Odia and Assamese have no v: Devi/Debi, Vijay/Bijay, Parvati/Parbati; w is the
    # same sound in other spellings (Bhagwati/Bhagvati).
    (r"[vw]", "b"),
    # Urdu z is j in Hindi-belt spelling (Zarina/Jarina).
    (r"z", "j"),
    # Bengali, Odia and Assamese write य as j: Yamuna/Jamuna, Yashoda/Jasoda.
    (r"^y", "j"),
    # Long vowels: Seeta/Sita, Pooja/Puja; a final y or ey is an i (Pinky/Pinki/Pinkey).
    (r"ee|ey$", "i"),
    (r"oo", "u"),
    (r"(?<=[^aeiou])y$", "i"),
    # The glide between i and a vowel is optional: Soniya/Sonia, Pandiyan/Pandian; after a it
    # is written ye, y or i: Ayesha/Aysha/Aisha, Nayek/Naik.
    (r"(?<=i)y(?=[aeou])", ""),
    (r"(?<=a)(?:ye|y(?=[^aeiou]))", "i"),
    # Anusvara before a labial is heard as m and written either way: Champa/Chanpa.
    (r"m(?=[pb])", "n"),
    # A final h after a vowel is silent: Fatimah/Fatima, Borah/Bora.
    (r"(?<=[aeiou])h$", ""),
    # Doubled letters are spelling habit, not sound: Urmilla/Urmila, Aanand/Anand.
    (r"(.)\1+", r"\1"),
)
_COMPILED_FOLD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in _FOLD_RULES
)

# Vowel classes for the vowel-tolerant comparison: Bengali and Assamese romanise the
# inherent vowel as o (Kobita, Junmoni), Hindi dialects swap a/u (Luxmi), and e/i are
# confused in Muslim names (Fatema/Fatima, Rehana/Rihana).
_VOWEL_CLASSES = str.maketrans({"o": "a", "u": "a", "e": "i"})

# Whole-token aliases after folding: abbreviations and spellings of one word.
_ALIAS_RULES: tuple[tuple[str, str], ...] = (
    # Md., Mohd., Mohammad, Muhammed... all one word, carried by most Muslim men.
    (r"^(?:m[aou]h[aeo]m[aeo]d|mo?hd|md)$", "muhamad"),
    # Sk. (Bengal) and its spellings Sheikh/Shaikh/Sekh.
    (r"^(?:sk|saik|seik|sek|saek)$", "saik"),
    # Surname spellings and forms (Verma/Varma, Dutta/Datta, Mukherjee/Mukhopadhyay).
    *name_data.SURNAME_ALIASES,
)
_COMPILED_ALIAS_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in _ALIAS_RULES
)

# Titles and honorifics, in the spellings met in registers (Indian-script forms are folded
# through the same pipeline at import, so "श्रीमती" is recognised like "Shrimati").
_HONORIFIC_WORDS: tuple[str, ...] = (
    "smt", "shrimati", "srimati", "shreemati", "sreemati", "shrimathi", "srimathi",
    "sri", "shri", "shree", "sree", "sh", "sushri", "sushree", "km", "ku", "kum",
    "mrs", "ms", "miss", "mr", "dr", "late", "lt", "swargiya", "swargiy", "sv", "swa",
    "mst", "most", "mosammat", "mossammat", "musammat", "mosamat", "mosst", "janab",
    "श्रीमती", "श्रीमति", "श्री", "सुश्री", "कु", "स्व", "स्वर्गीय", "डॉ", "শ্রীমতী", "শ্রী",
    "ଶ୍ରୀମତୀ", "ଶ୍ରୀ", "శ్రీమతి", "శ్రీ", "ஸ்ரீ", "திருமதி", "திரு", "ಶ್ರೀಮತಿ", "ಶ್ರೀ",
)  # fmt: skip
# Suffixes and family-status words that many unrelated women (or men) share: they are kept
# as tokens but never count as evidence on their own. Not Kumar: in a man's name it is part
# of the name (Shiv Kumar is not Shiv Shankar); its gender is compared like Kumari's.
_WEAK_WORDS: tuple[str, ...] = (
    "devi", "debi", "dei", "kumari", "bai", "ben", "bibi", "bi", "bee", "begum",
    "begam", "khatun", "khatoon", "bano", "banu", "amma", "kaur", "muhamad", "saik",
)  # fmt: skip
# Suffixes attached to the first name, as typed → the token they stand for, and whether the
# stem lost its final vowel to them: Gujarati and Marathi -ben, -bai, -bhai (Geetaben,
# Kamlabai, Rameshbhai), southern -amma/-ammal (Chinnammal, Gowramma for Gowri), and Devi
# or Kumari written on (Sitadevi, Shivkumari). Longer endings first.
_ATTACHED_SUFFIXES: tuple[tuple[str, str, bool], ...] = (
    ("ammal", "ama", True), ("amma", "ama", True), ("bhai", "bhai", False),
    ("ben", "ben", False), ("bai", "bai", False), ("bibi", "bibi", False),
    ("devi", "debi", False), ("kumari", "kumari", False),
)  # fmt: skip
_MIN_STEM = 3

# Relation markers: what follows is a relative's name, not this person's.
_RELATION = re.compile(
    r"(?:\b[wdsch]\s*/\s*o\b\.?|\b(?:wife|daughter|son|husband|care)\s+of\b)", re.IGNORECASE
)
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NON_LETTERS = re.compile(r"[^a-z]+")
_VOWELS = frozenset("aeiouy")

# ---------------------------------------------------------------------------------------------
# Indian scripts.
#
# ``indic_transliteration`` (sanscript) turns each script into ISO 15919, which keeps every
# distinction (long vowels, retroflexes, the inherent vowel written out). What a name needs
# on top is done here, on the ISO letters: the inherent vowel that Hindi, Bengali, Punjabi,
# Gujarati and Odia speakers do not pronounce is deleted (कमला is Kamla, not Kamalā), Tamil
# plosives get the voicing their neighbours give them (Tamil script has no g, d, b or s
# letters), and the letters become plain ASCII, ready for the same folding as Latin input.
# Perso-Arabic (Urdu, Kashmiri, Sindhi) is not covered by the library and keeps ``anyascii``:
# unvowelled, it gives consonants only, so such names rarely match their Latin spelling.

_BRAHMIC_FIRST = 0x0900
_BRAHMIC_LAST = 0x0D7F
_SCHEMES = {
    "DEVANAGARI": sanscript.DEVANAGARI,
    "BENGALI": sanscript.BENGALI,  # Assamese ৰ and ৱ included
    "GURMUKHI": sanscript.GURMUKHI,
    "GUJARATI": sanscript.GUJARATI,
    "ORIYA": sanscript.ORIYA,
    "TAMIL": sanscript.TAMIL,
    "TELUGU": sanscript.TELUGU,
    "KANNADA": sanscript.KANNADA,
    "MALAYALAM": sanscript.MALAYALAM,
}
# Scripts whose languages drop the inherent vowel at the end of words and between a vowel-
# consonant and a consonant-vowel: राम is Ram, कमला is Kamla, भगवती is Bhagwati.
_SCHWA_DELETING = frozenset({"DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI"})
# Odia keeps the medial vowel (Sabita) but names are written without the final one (Nayak).
_FINAL_SCHWA_DELETING = _SCHWA_DELETING | {"ORIYA"}
_ASSAMESE_LETTERS = frozenset("ৰৱ")
# Malayalam chillus are dead consonants; the library does not read them, their expansion is
# the same letter with a virama.
_CHILLUS = str.maketrans(
    {"ൺ": "ണ്", "ൻ": "ന്", "ർ": "ര്", "ൽ": "ല്", "ൾ": "ള്", "ൿ": "ക്", "ൔ": "മ്", "ൕ": "യ്", "ൖ": "ഴ്"}
)
# ISO 15919 units, longest first; each is a consonant (C), a vowel (V), a nasal mark (N)
# or a visarga (H), with its ASCII letters.
_ISO_UNITS: tuple[tuple[str, str, str], ...] = (
    ("k͟h", "C", "kh"), ("g͟h", "C", "gh"), ("ṛh", "C", "rh"),
    ("kh", "C", "kh"), ("gh", "C", "gh"), ("ch", "C", "ch"), ("jh", "C", "jh"),
    ("ṭh", "C", "th"), ("ḍh", "C", "dh"), ("th", "C", "th"), ("dh", "C", "dh"),
    ("ph", "C", "ph"), ("bh", "C", "bh"),
    ("r̥̄", "V", "ri"), ("r̥", "V", "ri"), ("l̥̄", "V", "li"), ("l̥", "V", "li"),
    ("ai", "V", "ai"), ("au", "V", "au"), ("m̐", "N", "n"),
    ("ā", "V", "a"), ("ī", "V", "i"), ("ū", "V", "u"), ("ē", "V", "e"), ("ō", "V", "o"),
    ("a", "V", "a"), ("i", "V", "i"), ("u", "V", "u"), ("e", "V", "e"), ("o", "V", "o"),
    ("ṁ", "N", "n"), ("ṃ", "N", "n"), ("ḥ", "H", ""),
    ("k", "C", "k"), ("g", "C", "g"), ("ṅ", "C", "n"), ("c", "C", "c"), ("j", "C", "j"),
    ("ñ", "C", "ñ"), ("ṭ", "C", "T"), ("ḍ", "C", "d"), ("ṇ", "C", "n"), ("t", "C", "t"),
    ("d", "C", "d"), ("n", "C", "n"), ("p", "C", "p"), ("b", "C", "b"), ("m", "C", "m"),
    ("y", "C", "y"), ("ẏ", "C", "y"), ("r", "C", "r"), ("l", "C", "l"), ("v", "C", "v"),
    ("ś", "C", "sh"), ("ṣ", "C", "sh"), ("s", "C", "s"), ("h", "C", "h"), ("ḷ", "C", "l"),
    ("ḻ", "C", "zh"), ("ṟ", "C", "R"), ("ṉ", "C", "n"), ("ṛ", "C", "r"), ("f", "C", "f"),
    ("z", "C", "z"), ("q", "C", "q"), ("ġ", "C", "g"), ("x", "C", "kh"), ("w", "C", "v"),
)  # fmt: skip
_ISO_PATTERN = re.compile("|".join(re.escape(unit) for unit, _, _ in _ISO_UNITS))
_ISO_KIND = {unit: (kind, latin) for unit, kind, latin in _ISO_UNITS}
# Tamil has one letter for each plosive series; sanscript writes it as the voiced aspirate.
_TAMIL_PLOSIVES = {"gh": "k", "jh": "c", "dh": "t", "bh": "p"}


@dataclass(slots=True)
class _Syllable:
    onset: list[str]
    vowel: str
    coda: str
    inherent: bool


def _iso_syllables(iso: str, tamil: bool) -> list[_Syllable]:
    """ISO 15919 text of one word → syllables (an "a" right after a consonant is the
    inherent vowel: no script writes a short a as a sign)."""
    syllables: list[_Syllable] = []
    onset: list[str] = []
    for match in _ISO_PATTERN.finditer(unicodedata.normalize("NFC", iso)):
        kind, latin = _ISO_KIND[match.group()]
        if kind == "C":
            if tamil:
                latin = _TAMIL_PLOSIVES.get(latin, latin)
                # ட is ḍh in sanscript's Tamil: a retroflex t, kept apart for ட்ச (ksh).
                if match.group() == "ḍh":
                    latin = "T"
            onset.append(latin)
        elif kind == "V":
            inherent = match.group() == "a" and bool(onset)
            syllables.append(_Syllable(onset, latin, "", inherent))
            onset = []
        else:
            if onset:
                syllables.append(_Syllable(onset, "", "", False))
                onset = []
            if not syllables:
                syllables.append(_Syllable([], "", "", False))
            syllables[-1].coda += latin
    if onset:
        syllables.append(_Syllable(onset, "", "", False))
    return syllables


def _delete_schwas(syllables: list[_Syllable], medial: bool) -> None:
    """Hindi-style schwa deletion, left to right (Bhagwati, Ramkali come out right)."""
    last = syllables[-1]
    if len(syllables) > 1 and last.inherent and len(last.onset) == 1 and not last.coda:
        last.vowel = ""
    if not medial:
        return
    for i in range(1, len(syllables) - 1):
        syllable, before, after = syllables[i], syllables[i - 1], syllables[i + 1]
        if (
            syllable.inherent
            and len(syllable.onset) == 1
            and not syllable.coda
            and before.vowel
            and not before.coda
            and after.vowel
            and len(after.onset) == 1
        ):
            syllable.vowel = ""


def _voice_tamil(syllables: list[_Syllable]) -> None:
    """Tamil writes k, c, ṭ, t and p for g, s/j, ḍ, d and b; the sound depends on the
    neighbours: voiced after a vowel or a nasal, c is s at the start and after a vowel."""
    previous = ""  # "" at the start of the word, "v" after a vowel, else the consonant
    for syllable in syllables:
        onset = syllable.onset
        # ட்ச renders Sanskrit क्ष: லட்சுமி is Lakshmi, மீனாட்சி is Meenakshi.
        # ற்ற is tr (Vetri), ன்ற is ndr (spoken Sundari).
        for j in range(len(onset) - 1):
            if onset[j] == "T" and onset[j + 1] == "c":
                onset[j], onset[j + 1] = "K", "sh"
            elif onset[j] == "R" and onset[j + 1] == "R":
                onset[j], onset[j + 1] = "t", "r"
        for j, consonant in enumerate(onset):
            nasal = previous in ("n", "m")
            if consonant == "c":
                if previous in ("", "v"):
                    onset[j] = "s"
                elif nasal:
                    onset[j] = "j"
            elif consonant == "k" and (previous == "v" or nasal):
                onset[j] = "g"
            elif consonant == "T":
                onset[j] = "d" if previous == "v" or nasal else "t"
            elif consonant == "t" and nasal:
                onset[j] = "d"
            elif consonant == "p" and previous == "m":
                onset[j] = "b"
            elif consonant == "R":
                onset[j] = "dr" if previous == "n" else "r"
            previous = consonant
        if syllable.vowel:
            previous = "v"
        if syllable.coda:
            previous = syllable.coda[-1]


def _brahmic_to_latin(word: str) -> str:
    script = unicodedata.name(word[0], "").split(" ", 1)[0]
    # Assamese shares the Bengali script (its own letters are ৰ and ৱ) and romanises the
    # inherent vowel as o: বৰা is Bora, not Bara.
    assamese = script == "BENGALI" and bool(_ASSAMESE_LETTERS.intersection(word))
    scheme = _SCHEMES.get(script)
    if scheme is None:
        return anyascii(word)
    iso = sanscript.transliterate(word.translate(_CHILLUS), scheme, sanscript.ISO)
    syllables = _iso_syllables(iso, script == "TAMIL")
    if not syllables:
        return ""
    if script in _FINAL_SCHWA_DELETING:
        _delete_schwas(syllables, medial=script in _SCHWA_DELETING)
    elif script == "TAMIL":
        _voice_tamil(syllables)
    parts: list[str] = []
    for i, syllable in enumerate(syllables):
        coda = syllable.coda
        if coda.startswith("n"):
            # The anusvara is m at the end of a word and before a labial, ng before h
            # (सिंह is Singh), else n.
            following = syllables[i + 1].onset if i + 1 < len(syllables) else None
            if following is None or (following and following[0][:1] in ("p", "b", "m")):
                coda = "m" + coda[1:]
            elif following and following[0] == "h":
                coda = "ng" + coda[1:]
        onset = "".join(syllable.onset)
        vowel = "o" if assamese and syllable.inherent and syllable.vowel else syllable.vowel
        parts.append(onset + vowel + coda)
    # ज्ञ is said gy in the north and dny in Maharashtra, and written Gyan, Dnyan or Jnan.
    latin = "".join(parts).replace("jñ", "gy").replace("ñ", "n")
    return latin.replace("T", "t").replace("R", "r").replace("K", "k")


def _is_brahmic(ch: str) -> bool:
    return _BRAHMIC_FIRST <= ord(ch) <= _BRAHMIC_LAST


def _to_latin(text: str) -> str:
    """Latin letters and spaces only; Indian scripts get their inherent vowels back."""
    out: list[str] = []
    run: list[str] = []
    for ch in text:
        if ch.isascii():
            category = "Ascii"
        else:
            category = unicodedata.category(ch)
            if category == "Cf":
                # Zero-width (non-)joiners shape Indian scripts inside a word.
                continue
        if category[0] in "LM" and _is_brahmic(ch):
            run.append(ch)
            continue
        if run:
            out.append(_brahmic_word("".join(run)))
            run.clear()
        if category == "Ascii":
            out.append(ch)
        elif category[0] in "LM":
            out.append(anyascii(ch))
        else:
            # Emoji and symbols would come back as words (":smile:"), so they separate.
            out.append(" ")
    if run:
        out.append(_brahmic_word("".join(run)))
    return "".join(out)


def _brahmic_word(run: str) -> str:
    """A run of Indian-script letters, split where the script changes."""
    pieces: list[str] = []
    start = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or (
            run[i].isalpha() and _script_block(run[i]) != _script_block(run[start])
        ):
            if unicodedata.category(run[start])[0] == "L":
                pieces.append(_brahmic_to_latin(run[start:i]))
            start = i
    return " ".join(pieces) if len(pieces) > 1 else "".join(pieces)


def _script_block(ch: str) -> int:
    return (ord(ch) - _BRAHMIC_FIRST) // 0x80


# ---------------------------------------------------------------------------------------------
# Name forms.

# An -amma/-ammal stem ("pusp" of Pushpammal) lost its final vowel to the suffix; the mark
# lets the comparison accept Pushpa, Gowri or Thangam for it.
_STEM_MARK = "~"
_STEM_ENDINGS = frozenset({"a", "i", "u", "e", "am", "ama"})


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name reduced to what matters for comparing it.

    ``tokens`` are the folded significant tokens in the order written (weak ones such as
    "debi" included, honorifics and initials not; an -amma stem ends with ``~``);
    ``folded`` is the same tokens sorted and space-joined, a canonical string for exact
    comparison and storage; ``initials`` are the folded letters of the initials, sorted.
    """

    folded: str
    tokens: tuple[str, ...]
    initials: str

    @property
    def empty(self) -> bool:
        return not self.tokens


_EMPTY = NameForm("", (), "")


def _fold_token(token: str) -> str:
    for pattern, replacement in _COMPILED_FOLD_RULES:
        token = pattern.sub(replacement, token)
    for pattern, replacement in _COMPILED_ALIAS_RULES:
        token = pattern.sub(replacement, token)
    return token


def _fold_word(word: str) -> str:
    """One word of any script to its folded form (used to fold the vocabularies)."""
    latin = _NON_LETTERS.sub("", _to_latin(unicodedata.normalize("NFC", word)).lower())
    return _fold_token(latin) if latin else ""


def _fold_words(words: Iterable[str]) -> frozenset[str]:
    return frozenset(_fold_word(w) for w in words) - {""}


# Short Latin titles are matched as typed: folded, "Sh." would become "s" and swallow the
# initial S. Longer and Indian-script titles are matched folded, to catch their variants.
_HONORIFICS_AS_TYPED = frozenset(w for w in _HONORIFIC_WORDS if w.isascii())
_HONORIFICS = frozenset(
    folded
    for folded, word in ((_fold_word(w), w) for w in _HONORIFIC_WORDS)
    if folded and (not word.isascii() or len(folded) >= 3)
)
# "bhai" would fold to "bai" (a woman's suffix): it is kept as typed.
_BHAI = "bhai"
_AS_TYPED_WORDS = {"bhai": _BHAI, "bhaai": _BHAI, "amma": "ama", "ammal": "ama"}
_WEAK = _fold_words(_WEAK_WORDS) | {_BHAI}
_FEMALE, _MALE = 1, 2
_GENDER_OF: dict[str, int] = {
    **{w: _MALE for w in _fold_words(name_data.MALE_WORDS) - {"bai"}},
    _BHAI: _MALE,
    **{w: _FEMALE for w in _fold_words(name_data.FEMALE_WORDS)},
}
_GENDER_OF_LATER = {w: _MALE for w in _fold_words(name_data.MALE_LATER_WORDS)}
_SURNAMES = _fold_words(name_data.SURNAMES)
_GIVEN_NAMES = _fold_words(name_data.GIVEN_NAMES)


def _segment_tokens(text: str) -> tuple[list[str], list[str]]:
    """Folded significant tokens and folded initials of one segment of a name."""
    tokens: list[str] = []
    initials: list[str] = []
    for raw in _NON_LETTERS.split(text):
        if not raw:
            continue
        typed = _AS_TYPED_WORDS.get(raw)
        if typed is not None:
            tokens.append(typed)
            continue
        folded = _fold_token(raw)
        if not folded or raw in _HONORIFICS_AS_TYPED or folded in _HONORIFICS:
            continue
        if folded in _WEAK:
            tokens.append(folded)
        elif len(raw) == 1 or (len(raw) <= 3 and not _VOWELS.intersection(raw)):
            # "K." or "KS": initials, one per letter, folded like the names they stand for.
            initials.extend(_fold_token(letter)[0] for letter in raw)
        else:
            for ending, suffix, marked in _ATTACHED_SUFFIXES:
                stem = raw[: -len(ending)]
                if raw.endswith(ending) and len(stem) >= _MIN_STEM:
                    folded_stem = _fold_token(stem)
                    tokens.extend((folded_stem + (_STEM_MARK if marked else ""), suffix))
                    break
            else:
                tokens.append(folded)
    return tokens, initials


@lru_cache(maxsize=1 << 17)
def name_form(raw: str | None) -> NameForm:
    """The comparable form of a name; never raises, long input is truncated. Cached by the
    name alone: a name and her relative's together rarely repeat (``name_keys`` misses), each
    of them does, a great deal."""
    if not raw or not isinstance(raw, str):
        return _EMPTY
    # Apostrophes join (D'Souza is one word); everything else that is not a letter separates.
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFC", raw[:MAX_NAME_LENGTH]))
    text = _to_latin(text).lower()
    tokens: list[str] = []
    initials: list[str] = []
    # The person's own name is the first part that has one: "Sita W/o Ramesh" is Sita,
    # "W/o Ramesh" (a relative-name field) is Ramesh.
    for segment in _RELATION.split(text):
        tokens, initials = _segment_tokens(segment)
        if tokens:
            break
    if not tokens and not initials:
        return _EMPTY
    return NameForm(" ".join(sorted(tokens)), tuple(tokens), "".join(sorted(initials)))


# ---------------------------------------------------------------------------------------------
# Scoring.


def _skeleton(token: str) -> str:
    """The consonants after the first letter; h and y are too often silent or optional."""
    consonants: list[str] = []
    for letter in token[1:]:
        if letter in "aeiouhy" or (consonants and consonants[-1] == letter):
            continue
        consonants.append(letter)
    return "".join(consonants)


# Neighbours on the keyboard (QWERTY, as on the phones and PCs of data-entry operators).
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    position = {ch: (r, c + 0.5 * r) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in
                enumerate(row)}  # fmt: skip
    return {
        a: frozenset(
            b
            for b, (rb, cb) in position.items()
            if b != a and abs(ra - rb) <= 1 and abs(ca - cb) <= 1.0
        )
        for a, (ra, ca) in position.items()
    }


_NEIGHBOURS = _keyboard_neighbours()
_TOKEN_VOWELS = frozenset("aeiou")


def _is_slip(a: str, b: str) -> bool:
    """One keyboard or hearing slip apart: a neighbouring key, a letter dropped or doubled
    (the folding already undoes doubling), two letters swapped. Not the first letter:
    distinct names differ there (Geeta/Neeta)."""
    if a[:1] != b[:1] or min(len(a), len(b)) < _SLIP_MIN_LEN:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return b[diff[0]] in _NEIGHBOURS.get(a[diff[0]], frozenset())
        if len(diff) == 2:
            i, j = diff
            return j == i + 1 and a[i] == b[j] and a[j] == b[i]
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(1, len(long_)))


# Men's names that take a final a for a woman: Vimal/Vimala, Sushil/Sushila, Prem/Prema,
# Shyam/Shyama, Chandrakant/Chandrakanta, Amit/Amita, Naveen/Naveena. Not the southern
# men's final a (Srinivas/Srinivasa, Nagaraj/Nagaraja, Venkat/Venkata, Bhaskar/Bhaskara).
_FEMININE_A = re.compile(r"(?:[aiu]l|em|am|ant|it|in|ik)$")


def _is_gender_pair(a: str, b: str, men: bool) -> bool:
    """The male and female forms of one root: Santosh/Santoshi, Jayant/Jayanti, and unless
    both are known to be men's names, Sushil/Sushila, Prem/Prema."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) != len(short) + 1 or len(short) < 3 or short[-1] in _TOKEN_VOWELS:
        return False
    if not long_.startswith(short):
        return False
    if long_[-1] == "i":
        return True
    return long_[-1] == "a" and not men and bool(_FEMININE_A.search(short))


def _token_similarity(a: str, b: str, men: bool) -> float:
    stem_a, stem_b = a.endswith(_STEM_MARK), b.endswith(_STEM_MARK)
    a, b = a.rstrip(_STEM_MARK), b.rstrip(_STEM_MARK)
    if a == b:
        return 100.0
    similarity = fuzz.ratio(a, b)
    if (
        len(a) >= _VOWEL_MIN_LEN
        and len(b) >= _VOWEL_MIN_LEN
        and a.translate(_VOWEL_CLASSES) == b.translate(_VOWEL_CLASSES)
    ):
        similarity = max(similarity, 100.0 - _VOWEL_PENALTY)
    if a[:1] != b[:1]:
        similarity = similarity - _HEAD_PENALTY
    if _skeleton(a) != _skeleton(b):
        similarity = similarity - _SKELETON_PENALTY
    if stem_a != stem_b:
        stem, other = (a, b) if stem_a else (b, a)
        if other.startswith(stem) and other[len(stem) :] in _STEM_ENDINGS:
            similarity = max(similarity, _STEM_SCORE)
    elif _is_gender_pair(a, b, men):
        similarity = similarity - _GENDER_PENALTY
    elif _is_slip(a, b) and not (a in _GIVEN_NAMES and b in _GIVEN_NAMES):
        similarity = max(similarity, _SLIP_SCORE)
    return similarity


# Token pairs repeat a great deal (a panchayat's candidates share their keys); the cache
# is bounded by clearing it when full, which costs a few recomputations.
_SIMILARITY_CACHE_SIZE = 1 << 20
_similarity_cache: dict[tuple[str, str, bool], float] = {}


def _similarity(a: str, b: str, men: bool) -> float:
    key = (a, b, men) if a <= b else (b, a, men)
    value = _similarity_cache.get(key)
    if value is None:
        if len(_similarity_cache) >= _SIMILARITY_CACHE_SIZE:
            _similarity_cache.clear()
        value = _similarity_cache[key] = _token_similarity(*key)
    return value


class _Profile(NamedTuple):
    """Everything the score needs from one form, computed once per form.

    ``tokens`` holds the distinctive tokens (or the weak ones if there is nothing else),
    ``given`` the distinctive tokens that are not surnames; both are padded to
    ``_MAX_TOKENS`` so that a batch of profiles makes a dense table, and ``size`` and
    ``given_size`` say how many entries are real.
    """

    size: int
    tokens: tuple[str, ...]
    given_size: int
    given: tuple[str, ...]
    has_surname: bool
    weak_only: bool
    weak_mask: int
    joined: str
    token_count: int
    initials_mask: int
    explained_mask: int  # initials plus first letters of tokens
    gender: int


_WEAK_BITS = {word: 1 << i for i, word in enumerate(sorted(_WEAK))}
_LETTER_BITS = {chr(97 + i): 1 << i for i in range(26)}
_PADDING = tuple(("",) * k for k in range(_MAX_TOKENS + 1))
_EMPTY_PROFILE = _Profile(0, _PADDING[-1], 0, _PADDING[-1], False, False, 0, "", 0, 0, 0, 0)


def _joined(tokens: Sequence[str]) -> str:
    """The tokens glued and folded again as one word, so that Ram Pyari and Rampyari agree
    across the join (m before p is n in both)."""
    return _fold_token("".join(t.rstrip(_STEM_MARK) for t in tokens))


def _padded(tokens: list[str]) -> tuple[str, ...]:
    return tuple(tokens) + _PADDING[_MAX_TOKENS - len(tokens)]


@lru_cache(maxsize=1 << 16)
def _profile(form: NameForm) -> _Profile:
    tokens = form.tokens
    if not tokens:
        return _EMPTY_PROFILE
    distinctive = [t for t in tokens if t not in _WEAK]
    chosen = (distinctive or list(tokens))[:_MAX_TOKENS]
    given = [t for t in chosen if t not in _SURNAMES]
    weak_mask = 0
    explained_mask = 0
    gender = 0
    for i, token in enumerate(tokens):
        weak_mask |= _WEAK_BITS.get(token, 0)
        # .get: a NameForm built by hand need not hold folded ASCII.
        explained_mask |= _LETTER_BITS.get(token[:1], 0)
        gender |= _GENDER_OF.get(token, 0)
        if i:
            gender |= _GENDER_OF_LATER.get(token, 0)
    initials_mask = 0
    for letter in form.initials:
        initials_mask |= _LETTER_BITS.get(letter, 0)
    return _Profile(
        len(chosen),
        _padded(chosen),
        len(given),
        _padded(given),
        len(given) < len(chosen),
        not distinctive,
        weak_mask,
        _joined(distinctive or tokens),
        len(tokens),
        initials_mask,
        explained_mask | initials_mask,
        gender,
    )


def _coverage(best: list[float]) -> float:
    # Mean and weakest token together: one good token must not hide a wrong one.
    total = best[0]
    for value in best[1:]:
        total = total + value
    return (total / len(best) + min(best)) * 0.5


def _align(ta: tuple[str, ...], tb: tuple[str, ...], men: bool) -> float:
    na, nb = len(ta), len(tb)
    matrix = [[_similarity(x, y, men) for y in tb] for x in ta]
    rows = _coverage([max(row) for row in matrix])
    cols = _coverage([max(matrix[i][j] for i in range(na)) for j in range(nb)])
    if na < nb:
        return rows - _EXTRA_TOKEN_PENALTY * (nb - na)
    if nb < na:
        return cols - _EXTRA_TOKEN_PENALTY * (na - nb)
    return min(rows, cols)


def _surname_once(surname_a: bool, surname_b: bool, given_a: int, given_b: int) -> bool:
    """A surname on one name only, and the other has nothing in its place (Hemlata /
    Hemlata Sharma; not Shankar Lal / Shankar Das)."""
    if surname_a == surname_b or not given_a or not given_b:
        return False
    return given_b <= given_a if surname_a else given_a <= given_b


def _gender_conflict(a: int, b: int) -> bool:
    return (a | b) == (_FEMALE | _MALE) and not a & b


def name_score(a: NameForm, b: NameForm, relative: bool = False) -> float:
    """Similarity of two names, 0..100 (0 if either is empty); symmetric. ``relative``:
    the names are relatives' (men's) names, where a final a is no sign of a woman."""
    if a.empty or b.empty:
        return 0.0
    pa, pb = _profile(a), _profile(b)
    if pa.weak_only != pb.weak_only:
        return _WEAK_ONLY_SCORE
    # Relatives are men, and so is a name with a man's word in it (Srinivasa Rao).
    men = relative or bool((pa.gender | pb.gender) & _MALE)
    core = _align(pa.tokens[: pa.size], pb.tokens[: pb.size], men)
    if _surname_once(pa.has_surname, pb.has_surname, pa.given_size, pb.given_size):
        given = _align(pa.given[: pa.given_size], pb.given[: pb.given_size], men)
        core = max(core, given - _SURNAME_ABSENT_PENALTY)
    if pa.token_count != pb.token_count:
        core = max(core, _similarity(pa.joined, pb.joined, men) - _JOIN_PENALTY)
    if pa.weak_mask and pb.weak_mask and not pa.weak_mask & pb.weak_mask:
        core = core - _WEAK_MISMATCH_PENALTY
    if pa.initials_mask and pb.initials_mask:
        if (pa.initials_mask & ~pb.explained_mask) and (pb.initials_mask & ~pa.explained_mask):
            core = core - _INITIAL_CONFLICT_PENALTY
    elif pa.initials_mask or pb.initials_mask:
        core = core - _ONE_SIDED_INITIAL_PENALTY
    if _gender_conflict(pa.gender, pb.gender):
        core = core - _GENDER_PENALTY
    return min(100.0, max(0.0, core))


def is_similar(a: NameForm, b: NameForm, threshold: float = NAME_THRESHOLD) -> bool:
    return name_score(a, b) >= threshold


_Floats = npt.NDArray[np.float64]
_Objects = npt.NDArray[np.object_]
_Ints = npt.NDArray[np.int64]


class _Columns:
    """The profiles of the distinct forms of a batch, as numpy columns."""

    def __init__(self, profiles: list[_Profile]) -> None:
        u = len(profiles)

        def ints(values: Iterable[int]) -> _Ints:
            return np.fromiter(values, dtype=np.int64, count=u)

        # Tokens (and glued names) become ids into ``words``, so that the token pairs of a
        # batch are integer codes and each distinct pair is scored once.
        vocabulary: dict[str, int] = {"": 0}

        def table(rows: Iterable[tuple[str, ...]]) -> _Ints:
            flat = np.fromiter(
                (vocabulary.setdefault(t, len(vocabulary)) for t in chain.from_iterable(rows)),
                dtype=np.int64,
                count=u * _MAX_TOKENS,
            )
            return flat.reshape(u, _MAX_TOKENS)

        self.size = ints(p.size for p in profiles)
        self.tokens = table(p.tokens for p in profiles)
        self.given_size = ints(p.given_size for p in profiles)
        self.given = table(p.given for p in profiles)
        self.has_surname = np.fromiter((p.has_surname for p in profiles), dtype=bool, count=u)
        self.weak_only = np.fromiter((p.weak_only for p in profiles), dtype=bool, count=u)
        self.weak_mask = ints(p.weak_mask for p in profiles)
        self.joined = ints(vocabulary.setdefault(p.joined, len(vocabulary)) for p in profiles)
        self.token_count = ints(p.token_count for p in profiles)
        self.initials = ints(p.initials_mask for p in profiles)
        self.explained = ints(p.explained_mask for p in profiles)
        self.gender = ints(p.gender for p in profiles)
        self.words = list(vocabulary)

    def similarities(self, ids_a: _Ints, ids_b: _Ints, men: npt.NDArray[np.bool_]) -> _Floats:
        """``_similarity`` of the words ids_a[i] and ids_b[i], each distinct pair once."""
        size = len(self.words)
        codes = (ids_a * size + ids_b) * 2 + men
        unique, inverse = np.unique(codes, return_inverse=True)
        words = self.words
        values = np.fromiter(
            (
                _similarity(words[(code >> 1) // size], words[(code >> 1) % size], bool(code & 1))
                for code in unique.tolist()
            ),
            dtype=np.float64,
            count=len(unique),
        )
        result: _Floats = values[inverse.ravel()]
        return result


def _aligned(c: _Columns, ids_a: _Ints, ids_b: _Ints, na: int, nb: int, men: bool) -> _Floats:
    """``_align`` for pairs of token rows with na and nb tokens."""
    m = len(ids_a)
    # Every token of one side against every token of the other.
    flat_a = np.repeat(ids_a[:, :na], nb, axis=1).ravel()
    flat_b = np.tile(ids_b[:, :nb], (1, na)).ravel()
    similarity = c.similarities(flat_a, flat_b, np.full(len(flat_a), men)).reshape(m, na, nb)

    def coverage(best: _Floats) -> _Floats:
        total = best[:, 0]
        for k in range(1, best.shape[1]):
            total = total + best[:, k]
        result: _Floats = (total / best.shape[1] + best.min(axis=1)) * 0.5
        return result

    rows = coverage(similarity.max(axis=2))
    cols = coverage(similarity.max(axis=1))
    if na < nb:
        return rows - _EXTRA_TOKEN_PENALTY * (nb - na)
    if nb < na:
        return cols - _EXTRA_TOKEN_PENALTY * (na - nb)
    return np.minimum(rows, cols)


def _by_shape(
    c: _Columns,
    table: _Ints,
    sizes: _Ints,
    code_a: npt.NDArray[np.intp],
    code_b: npt.NDArray[np.intp],
    men: npt.NDArray[np.bool_],
) -> _Floats:
    """``_align`` of many pairs, grouped by how many tokens each side has (each group is
    a dense array) and by whether both are men's names."""
    out = np.empty(len(code_a), dtype=np.float64)
    na, nb = sizes[code_a], sizes[code_b]
    shape = (na * (_MAX_TOKENS + 1) + nb) * 2 + men
    for value in np.unique(shape):
        group = np.flatnonzero(shape == value)
        ka, kb = divmod(int(value) // 2, _MAX_TOKENS + 1)
        ids_a, ids_b = table[code_a[group]], table[code_b[group]]
        out[group] = _aligned(c, ids_a, ids_b, ka, kb, bool(value % 2))
    return out


def score_pairs(
    left: Sequence[NameForm], right: Sequence[NameForm], relative: bool = False
) -> list[float]:
    """``name_score(left[i], right[i], relative)`` for every i, computed in bulk."""
    if len(left) != len(right):
        raise ValueError("left and right must have the same length")
    n = len(left)
    if n == 0:
        return []
    # Each distinct form object is profiled once; pairs then refer to it by a code, so that
    # everything after this loop is numpy work over whole columns.
    forms: list[NameForm] = []
    memo: dict[int, int] = {}

    def encode(side: Sequence[NameForm]) -> npt.NDArray[np.intp]:
        codes: list[int] = []
        for form in side:
            code = memo.get(id(form))
            if code is None:
                code = memo[id(form)] = len(forms)
                forms.append(form)
            codes.append(code)
        return np.array(codes, dtype=np.intp)

    code_a, code_b = encode(left), encode(right)
    c = _Columns([_profile(form) for form in forms])

    scores = np.zeros(n, dtype=np.float64)
    comparable = (c.size[code_a] > 0) & (c.size[code_b] > 0)
    one_weak_only = comparable & (c.weak_only[code_a] != c.weak_only[code_b])
    scores[one_weak_only] = _WEAK_ONLY_SCORE
    active = np.flatnonzero(comparable & ~one_weak_only)
    if not active.size:
        return scores.tolist()
    code_a, code_b = code_a[active], code_b[active]
    gender_a, gender_b = c.gender[code_a], c.gender[code_b]
    men = ((gender_a | gender_b) & _MALE != 0) | relative
    core = _by_shape(c, c.tokens, c.size, code_a, code_b, men)

    sa, sb = c.has_surname[code_a], c.has_surname[code_b]
    na, nb = c.given_size[code_a], c.given_size[code_b]
    surname_once = np.flatnonzero(
        (sa != sb) & (na > 0) & (nb > 0) & np.where(sa, nb <= na, na <= nb)
    )
    if surname_once.size:
        ga, gb = code_a[surname_once], code_b[surname_once]
        given = _by_shape(c, c.given, c.given_size, ga, gb, men[surname_once])
        given = given - _SURNAME_ABSENT_PENALTY
        core[surname_once] = np.maximum(core[surname_once], given)

    split = np.flatnonzero(c.token_count[code_a] != c.token_count[code_b])
    if split.size:
        joined = c.similarities(c.joined[code_a[split]], c.joined[code_b[split]], men[split])
        core[split] = np.maximum(core[split], joined - _JOIN_PENALTY)

    weak_a, weak_b = c.weak_mask[code_a], c.weak_mask[code_b]
    weak_mismatch = (weak_a != 0) & (weak_b != 0) & ((weak_a & weak_b) == 0)
    core = np.where(weak_mismatch, core - _WEAK_MISMATCH_PENALTY, core)
    init_a, init_b = c.initials[code_a], c.initials[code_b]
    both = (init_a != 0) & (init_b != 0)
    conflict = (
        both & ((init_a & ~c.explained[code_b]) != 0) & ((init_b & ~c.explained[code_a]) != 0)
    )
    one_sided = ~both & ((init_a != 0) | (init_b != 0))
    core = np.where(conflict, core - _INITIAL_CONFLICT_PENALTY, core)
    core = np.where(one_sided, core - _ONE_SIDED_INITIAL_PENALTY, core)
    gender_conflict = ((gender_a | gender_b) == (_FEMALE | _MALE)) & ((gender_a & gender_b) == 0)
    core = np.where(gender_conflict, core - _GENDER_PENALTY, core)
    scores[active] = np.minimum(100.0, np.maximum(0.0, core))
    return scores.tolist()


# ---------------------------------------------------------------------------------------------
# Blocking keys.


def _key(token: str) -> str:
    """First letter plus the next few consonants: vowels are where variants differ."""
    return (token[:1] + _skeleton(token)[:_KEY_CONSONANTS])[:_KEY_MAX_LEN]


def _given_tokens(form: NameForm) -> list[str]:
    """The tokens that tell people apart: not weak words, not surnames (unless that is all
    there is), -amma stems without their mark."""
    distinctive = [t.rstrip(_STEM_MARK) for t in form.tokens if t not in _WEAK]
    return [t for t in distinctive if t not in _SURNAMES] or distinctive or list(form.tokens)


def blocking_keys(form: NameForm, limit: int = 3) -> list[str]:
    """Keys for candidate retrieval: names that may match share at least one key. A
    surname or a suffix written on one record only changes no key."""
    if form.empty or limit <= 0:
        return []
    given = _given_tokens(form)
    # Longer tokens make more selective keys, so they win when the limit bites; the key of
    # the glued name comes last and finds split/joined spellings (Premlata/Prem Lata).
    ordered = sorted(given, key=len, reverse=True)
    if len(given) > 1:
        ordered.append(_joined(given))
    keys: list[str] = []
    for token in ordered:
        key = _key(token)
        # The check only matters for a NameForm built by hand from unfolded text.
        if key and key.isascii() and key.isalpha() and key not in keys:
            keys.append(key)
    return sorted(keys[:limit])


def relative_key(form: NameForm, relative: NameForm) -> str:
    """A key from her first letter and her relative's first name ("s:rms" for Sunita w/o
    Ramesh): a slip in her name (Sunira, Samtoshi) changes her name keys, not this one."""
    if form.empty or relative.empty:
        return ""
    head = _given_tokens(form)[0][:1]
    key = _key(_given_tokens(relative)[0])
    if not (head + key).isascii() or not (head + key).isalpha():
        return ""
    return f"{head}:{key}"


@lru_cache(maxsize=1 << 18)
def name_keys(raw: str, relative_name: str = "") -> tuple[str, ...]:
    """The blocking keys of a member: her name's, and one with her relative's name. Cached:
    names repeat a great deal across a state (a crore of members carry about a lakh of
    distinct names), and the index, the checks and the bulk load all ask for them."""
    form = name_form(raw)
    keys = blocking_keys(form)
    extra = relative_key(form, name_form(relative_name)) if relative_name else ""
    return (*keys, extra) if extra else tuple(keys)
