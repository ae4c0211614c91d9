"""Similarity of Indian personal names, for flagging potential duplicate members.

Names of SHG members and of their husbands or fathers reach LokOS typed by many hands: in
Latin letters under several regional spelling habits (Seeta/Sita, Laxmi/Lakshmi, Parbati/
Parvati, Bijoy/Vijay), with honorifics and relation markers ("Smt.", "Km.", "W/o"), with
South Indian initials ("K. Lakshmi", "Lakshmi K") and in Indian scripts. The approach:

1. ``name_form`` turns a raw name into a ``NameForm``. Indian scripts are transliterated with
   their inherent vowel restored (and, for the northern scripts, the Hindi-style schwa
   deleted) so that "कमला" gives "kamla" like the Latin spelling; other text goes through
   ``anyascii``. Honorifics are dropped, the part after a relation marker is dropped,
   single letters become initials, and each token is folded by the ordered rewrite rules in
   ``_FOLD_RULES`` (aspirates, v/w/b, long vowels, doubled letters...), so most spelling
   variants collapse to one token before any fuzzy scoring happens.

2. ``name_score`` aligns the *distinctive* tokens of two names, in any order: each token is
   compared with every token of the other name by rapidfuzz's normalised Indel ratio,
   raised when the tokens are equal up to vowel classes (Luxmi/Laxmi, Bijoy/Bijay) and
   lowered when their first letters differ (the usual difference between distinct Indian
   names: Sita/Gita, Rekha/Lekha) or their consonants differ (Sunita/Sumita, Anita/Ankita:
   variants move vowels, distinct names change consonants). The shorter name must be
   covered by the longer one; extra tokens cost a little. Weak tokens (Devi, Kumari, Bai,
   Begum, Khatun...) never carry a match on their own, because two women both called
   "X Devi" share nothing from "Devi". Conflicting initials ("K. Lakshmi" versus
   "M. Lakshmi") are a strong penalty.

3. ``score_pairs`` computes exactly the same score for many pairs at once: each distinct
   form is profiled once, token pairs are flattened per shape (number of tokens on each
   side) and scored by one ``rapidfuzz.process.cpdist`` call per shape, and the alignment
   and corrections are numpy operations over whole columns.

4. ``blocking_keys`` gives short keys (first letter and consonant skeleton) so that a
   database index can find candidates; variants that the folding collapses, or that only
   differ in vowels, share keys by construction.

Precision matters more than recall here: a match raises a flag that block staff review by
hand, so the threshold was tuned on ``tests/unit/dedup/name_pairs.csv`` to keep false
flags rare.
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
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

__all__ = [
    "MAX_NAME_LENGTH",
    "NAME_THRESHOLD",
    "NameForm",
    "blocking_keys",
    "is_similar",
    "name_form",
    "name_keys",
    "name_score",
    "score_pairs",
]

MAX_NAME_LENGTH = 200

# ---------------------------------------------------------------------------------------------
# Scoring parameters (tuned on tests/unit/dedup/name_pairs.csv).

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
# A token present on one side only (a surname or middle name left out) is weak evidence
# against; several of them are stronger.
_EXTRA_TOKEN_PENALTY = 7.0
# Comparing the names with their tokens glued together catches split/joined spellings
# (Premlata/Prem Lata, Sitadevi/Sita Devi); it is less reliable than the token alignment.
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
# Names rarely have more distinctive tokens; bounding them bounds the work per pair.
_MAX_TOKENS = 4

_KEY_CONSONANTS = 4
_KEY_MAX_LEN = 8

# ---------------------------------------------------------------------------------------------
# Folding rules: data, applied in order to each lowercase ASCII token.

_FOLD_RULES: tuple[tuple[str, str], ...] = (
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
# as tokens but never count as evidence on their own.
_WEAK_WORDS: tuple[str, ...] = (
    "devi", "debi", "dei", "kumari", "kumar", "bai", "ben", "bibi", "bi", "bee", "begum",
    "begam", "khatun", "khatoon", "bano", "banu", "amma", "kaur", "muhamad", "saik",
)  # fmt: skip
# Gujarati and Marathi attach these to the first name (Geetaben, Kamlabai, Rameshbhai).
_ATTACHED_SUFFIXES: tuple[str, ...] = ("ben", "bai", "bibi")
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

_BRAHMIC_FIRST = 0x0900
_BRAHMIC_LAST = 0x0D7F
# Scripts whose languages drop the inherent vowel at the end of words and between a vowel-
# consonant and a consonant-vowel: राम is Ram, कमला is Kamla, भगवती is Bhagwati.
_SCHWA_DELETING = frozenset({"DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI"})
_INDEPENDENT_VOWEL_NAMES = frozenset(
    {"A", "AA", "I", "II", "U", "UU", "VOCALIC", "E", "EE", "AI", "O", "OO", "AU", "SHORT",
     "CANDRA", "AW", "OE", "OOE", "UE", "UUE"}
)  # fmt: skip
# A nukta changes the consonant: ज़ is z, फ़ is f, ड़ is r.
_NUKTA = {"j": "z", "ph": "f", "d": "r", "dh": "rh"}

_CONSONANT, _DEAD, _VOWEL, _SIGN, _VIRAMA, _NUKTA_KIND, _NASAL, _VISARGA, _SKIP = range(9)


@lru_cache(maxsize=4096)
def _indic_kind(ch: str) -> tuple[int, str]:
    """The role of one Indian-script character in a syllable, and its Latin letters."""
    name = unicodedata.name(ch, "")
    latin = _NON_LETTERS.sub("", anyascii(ch).lower())
    if "VIRAMA" in name:
        return _VIRAMA, ""
    if "NUKTA" in name:
        return _NUKTA_KIND, ""
    if "VOWEL SIGN" in name:
        return _SIGN, "ri" if "VOCALIC R" in name else latin
    if "ANUSVARA" in name or "CANDRABINDU" in name or "TIPPI" in name:
        return _NASAL, "n"
    if "VISARGA" in name:
        return _VISARGA, "h" if unicodedata.category(ch) != "Lo" else ""
    if " LETTER " in name and unicodedata.category(ch) == "Lo":
        letter = name.split(" LETTER ", 1)[1]
        if "CHILLU" in letter or "KHANDA" in letter:
            return _DEAD, latin
        if letter.split(" ", 1)[0] in _INDEPENDENT_VOWEL_NAMES:
            return _VOWEL, "ri" if letter.startswith("VOCALIC R") else latin
        return _CONSONANT, latin
    return _SKIP, ""


@dataclass(slots=True)
class _Syllable:
    onset: list[str]
    vowel: str
    coda: str
    inherent: bool


def _syllables(word: str) -> list[_Syllable]:
    syllables: list[_Syllable] = []
    pending: list[str] = []
    live = False  # the last pending consonant still carries its inherent vowel

    def close(vowel: str, inherent: bool) -> None:
        syllables.append(_Syllable(pending.copy(), vowel, "", inherent))
        pending.clear()

    for ch in word:
        kind, latin = _indic_kind(ch)
        if kind in (_CONSONANT, _DEAD):
            if live:
                close("a", True)
            pending.append(latin)
            live = kind == _CONSONANT
        elif kind == _NUKTA_KIND:
            if pending:
                pending[-1] = _NUKTA.get(pending[-1], pending[-1])
        elif kind == _VIRAMA:
            live = False
        elif kind == _SIGN:
            close(latin, False)
            live = False
        elif kind == _VOWEL:
            if pending:
                close("a" if live else "", live)
            close(latin, False)
            live = False
        elif kind in (_NASAL, _VISARGA):
            if pending:
                close("a" if live else "", live)
                live = False
            if not syllables:
                syllables.append(_Syllable([], "", "", False))
            syllables[-1].coda += latin
    if pending:
        close("a" if live else "", live)
    return syllables


def _delete_schwas(syllables: list[_Syllable]) -> None:
    """Hindi-style schwa deletion, left to right (Bhagwati, Ramkali come out right)."""
    last = syllables[-1]
    if len(syllables) > 1 and last.inherent and len(last.onset) == 1 and not last.coda:
        last.vowel = ""
    for i in range(1, len(syllables) - 1):
        syllable, before, after = syllables[i], syllables[i - 1], syllables[i + 1]
        if (
            syllable.inherent
            and len(syllable.onset) == 1
            and not syllable.coda
            and before.vowel
            and not before.coda
            and after.vowel
        ):
            syllable.vowel = ""


def _voice_tamil(syllables: list[_Syllable]) -> None:
    """Tamil writes k and c for g, s and j; their sound depends on the neighbours."""
    previous = ""  # "" at the start of the word, "v" after a vowel, else the consonant
    for syllable in syllables:
        for j, consonant in enumerate(syllable.onset):
            if consonant == "c":
                if previous in ("", "v"):
                    syllable.onset[j] = "s"
                elif previous in ("n", "m"):
                    syllable.onset[j] = "j"
            elif consonant == "k" and previous in ("v", "n"):
                syllable.onset[j] = "g"
            previous = consonant
        if syllable.vowel:
            previous = "v"
        if syllable.coda:
            previous = syllable.coda[-1]


def _brahmic_to_latin(word: str) -> str:
    syllables = _syllables(word)
    if not syllables:
        return ""
    script = unicodedata.name(word[0], "").split(" ", 1)[0]
    if script in _SCHWA_DELETING:
        _delete_schwas(syllables)
    elif script == "TAMIL":
        _voice_tamil(syllables)
    parts: list[str] = []
    for i, syllable in enumerate(syllables):
        coda = syllable.coda
        if coda.startswith("n"):
            # The anusvara is m at the end of a word and before a labial, else n.
            following = syllables[i + 1].onset if i + 1 < len(syllables) else None
            if following is None or (following and following[0][:1] in ("p", "b", "m")):
                coda = "m" + coda[1:]
        parts.append("".join(syllable.onset) + syllable.vowel + coda)
    return "".join(parts)


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
            out.append(_brahmic_to_latin("".join(run)))
            run.clear()
        if category == "Ascii":
            out.append(ch)
        elif category[0] in "LM":
            out.append(anyascii(ch))
        else:
            # Emoji and symbols would come back as words (":smile:"), so they separate.
            out.append(" ")
    if run:
        out.append(_brahmic_to_latin("".join(run)))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Name forms.


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name reduced to what matters for comparing it.

    ``tokens`` are the folded significant tokens in the order written (weak ones such as
    "debi" included, honorifics and initials not); ``folded`` is the same tokens sorted and
    space-joined, a canonical string for exact comparison and storage; ``initials`` are the
    folded letters of the initials, sorted.
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


# Short Latin titles are matched as typed: folded, "Sh." would become "s" and swallow the
# initial S. Longer and Indian-script titles are matched folded, to catch their variants.
_HONORIFICS_AS_TYPED = frozenset(w for w in _HONORIFIC_WORDS if w.isascii())
_HONORIFICS = frozenset(
    folded
    for folded, word in ((_fold_word(w), w) for w in _HONORIFIC_WORDS)
    if folded and (not word.isascii() or len(folded) >= 3)
)
_WEAK = frozenset(_fold_word(w) for w in _WEAK_WORDS) - {""}
_SUFFIXES = tuple(_fold_word(w) for w in _ATTACHED_SUFFIXES)


def _segment_tokens(text: str) -> tuple[list[str], list[str]]:
    """Folded significant tokens and folded initials of one segment of a name."""
    tokens: list[str] = []
    initials: list[str] = []
    for raw in _NON_LETTERS.split(text):
        if not raw:
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
            for suffix in _SUFFIXES:
                if folded.endswith(suffix) and len(folded) - len(suffix) >= _MIN_STEM:
                    tokens.extend((folded[: -len(suffix)], suffix))
                    break
            else:
                tokens.append(folded)
    return tokens, initials


def name_form(raw: str | None) -> NameForm:
    """The comparable form of a name; never raises, long input is truncated."""
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


# Per token: the token, its vowel-class form (the token itself when short), its skeleton
# and its first letter.
_TokenInfo = tuple[str, str, str, str]
_TOKEN, _VOWEL_FORM, _SKELETON, _HEAD = range(4)


class _Profile(NamedTuple):
    """Everything the score needs from one form, computed once per form.

    ``tokens`` holds the distinctive tokens (or the weak ones if there is nothing else) as
    ``_TokenInfo`` tuples, padded to ``_MAX_TOKENS`` so that a batch of profiles makes a
    dense table; ``size`` says how many entries are real.
    """

    size: int
    tokens: tuple[_TokenInfo, ...]
    weak_only: bool
    weak_mask: int
    joined: str  # all tokens glued, in the order written
    token_count: int
    initials_mask: int
    explained_mask: int  # initials plus first letters of tokens


_WEAK_BITS = {word: 1 << i for i, word in enumerate(sorted(_WEAK))}
_LETTER_BITS = {chr(97 + i): 1 << i for i in range(26)}
_PADDING = tuple((("", "", "", ""),) * k for k in range(_MAX_TOKENS + 1))
_EMPTY_PROFILE = _Profile(0, _PADDING[-1], False, 0, "", 0, 0, 0)


@lru_cache(maxsize=1 << 16)
def _token_info(token: str) -> _TokenInfo:
    """Cached, as names share their tokens: it saves work and memory per profile."""
    vowel_form = token.translate(_VOWEL_CLASSES) if len(token) >= _VOWEL_MIN_LEN else token
    return token, vowel_form, _skeleton(token), token[:1]


@lru_cache(maxsize=1 << 16)
def _profile(form: NameForm) -> _Profile:
    tokens = form.tokens
    if not tokens:
        return _EMPTY_PROFILE
    distinctive = [t for t in tokens if t not in _WEAK]
    chosen = (distinctive or list(tokens))[:_MAX_TOKENS]
    weak_mask = 0
    explained_mask = 0
    for token in tokens:
        weak_mask |= _WEAK_BITS.get(token, 0)
        # .get: a NameForm built by hand need not hold folded ASCII.
        explained_mask |= _LETTER_BITS.get(token[:1], 0)
    initials_mask = 0
    for letter in form.initials:
        initials_mask |= _LETTER_BITS.get(letter, 0)
    return _Profile(
        len(chosen),
        tuple([_token_info(t) for t in chosen]) + _PADDING[_MAX_TOKENS - len(chosen)],
        not distinctive,
        weak_mask,
        "".join(tokens),
        len(tokens),
        initials_mask,
        explained_mask | initials_mask,
    )


def _token_similarity(a: _TokenInfo, b: _TokenInfo) -> float:
    similarity = fuzz.ratio(a[_TOKEN], b[_TOKEN])
    if a[_VOWEL_FORM] == b[_VOWEL_FORM]:
        similarity = max(similarity, 100.0 - _VOWEL_PENALTY)
    if a[_HEAD] != b[_HEAD]:
        similarity = similarity - _HEAD_PENALTY
    if a[_SKELETON] != b[_SKELETON]:
        similarity = similarity - _SKELETON_PENALTY
    return similarity


def _coverage(best: list[float]) -> float:
    # Mean and weakest token together: one good token must not hide a wrong one.
    total = best[0]
    for value in best[1:]:
        total = total + value
    return (total / len(best) + min(best)) * 0.5


def name_score(a: NameForm, b: NameForm) -> float:
    """Similarity of two names, 0..100 (0 if either is empty); symmetric."""
    if a.empty or b.empty:
        return 0.0
    pa, pb = _profile(a), _profile(b)
    if pa.weak_only != pb.weak_only:
        return _WEAK_ONLY_SCORE
    na, nb = pa.size, pb.size
    matrix = [[_token_similarity(x, y) for y in pb.tokens[:nb]] for x in pa.tokens[:na]]
    rows = _coverage([max(row) for row in matrix])
    cols = _coverage([max(matrix[i][j] for i in range(na)) for j in range(nb)])
    if na < nb:
        core = rows - _EXTRA_TOKEN_PENALTY * (nb - na)
    elif nb < na:
        core = cols - _EXTRA_TOKEN_PENALTY * (na - nb)
    else:
        core = min(rows, cols)
    if pa.token_count != pb.token_count:
        joined = fuzz.ratio(pa.joined, pb.joined) - _JOIN_PENALTY
        if pa.joined[:1] != pb.joined[:1]:
            joined = joined - _HEAD_PENALTY
        core = max(core, joined)
    if pa.weak_mask and pb.weak_mask and not pa.weak_mask & pb.weak_mask:
        core = core - _WEAK_MISMATCH_PENALTY
    if pa.initials_mask and pb.initials_mask:
        if (pa.initials_mask & ~pb.explained_mask) and (pb.initials_mask & ~pa.explained_mask):
            core = core - _INITIAL_CONFLICT_PENALTY
    elif pa.initials_mask or pb.initials_mask:
        core = core - _ONE_SIDED_INITIAL_PENALTY
    return min(100.0, max(0.0, core))


def is_similar(a: NameForm, b: NameForm, threshold: float = NAME_THRESHOLD) -> bool:
    return name_score(a, b) >= threshold


_Floats = npt.NDArray[np.float64]
_Objects = npt.NDArray[np.object_]


class _Columns:
    """The profiles of the distinct forms of a batch, as numpy columns."""

    def __init__(self, profiles: list[_Profile]) -> None:
        u = len(profiles)

        def ints(values: Iterable[int]) -> npt.NDArray[np.int64]:
            return np.fromiter(values, dtype=np.int64, count=u)

        self.size = ints(p.size for p in profiles)
        flat = np.fromiter(
            chain.from_iterable(chain.from_iterable(p.tokens for p in profiles)),
            dtype=object,
            count=u * _MAX_TOKENS * 4,
        )
        table = flat.reshape(u, _MAX_TOKENS, 4)
        self.tokens: _Objects = table[:, :, _TOKEN]
        self.vowels: _Objects = table[:, :, _VOWEL_FORM]
        self.skeletons: _Objects = table[:, :, _SKELETON]
        self.heads: _Objects = table[:, :, _HEAD]
        self.weak_only = np.fromiter((p.weak_only for p in profiles), dtype=bool, count=u)
        self.weak_mask = ints(p.weak_mask for p in profiles)
        self.joined = np.fromiter((p.joined for p in profiles), dtype=object, count=u)
        self.joined_head = np.fromiter((p.joined[:1] for p in profiles), dtype=object, count=u)
        self.token_count = ints(p.token_count for p in profiles)
        self.initials = ints(p.initials_mask for p in profiles)
        self.explained = ints(p.explained_mask for p in profiles)


def _aligned(
    c: _Columns, code_a: npt.NDArray[np.intp], code_b: npt.NDArray[np.intp], na: int, nb: int
) -> _Floats:
    """The token alignment of ``name_score`` for pairs of forms with na and nb tokens."""
    m = len(code_a)
    # Every token of one side against every token of the other, in one C++ call.
    flat_a = np.repeat(c.tokens[code_a, :na], nb, axis=1).ravel().tolist()
    flat_b = np.tile(c.tokens[code_b, :nb], (1, na)).ravel().tolist()
    ratios = cpdist(flat_a, flat_b, scorer=fuzz.ratio, dtype=np.float64, workers=1)
    similarity: _Floats = np.asarray(ratios, dtype=np.float64).reshape(m, na, nb)

    def differ(column: _Objects) -> npt.NDArray[np.bool_]:
        a = column[code_a, :na].reshape(m, na, 1)
        b = column[code_b, :nb].reshape(m, 1, nb)
        return np.asarray(a != b, dtype=bool)

    similarity = np.where(
        differ(c.vowels), similarity, np.maximum(similarity, 100.0 - _VOWEL_PENALTY)
    )
    similarity = np.where(differ(c.heads), similarity - _HEAD_PENALTY, similarity)
    similarity = np.where(differ(c.skeletons), similarity - _SKELETON_PENALTY, similarity)

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


def score_pairs(left: Sequence[NameForm], right: Sequence[NameForm]) -> list[float]:
    """``name_score(left[i], right[i])`` for every i, computed in bulk."""
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

    na, nb = c.size[code_a], c.size[code_b]
    scores = np.zeros(n, dtype=np.float64)
    comparable = (na > 0) & (nb > 0)
    one_weak_only = comparable & (c.weak_only[code_a] != c.weak_only[code_b])
    scores[one_weak_only] = _WEAK_ONLY_SCORE
    active = np.flatnonzero(comparable & ~one_weak_only)
    if not active.size:
        return scores.tolist()
    code_a, code_b = code_a[active], code_b[active]
    core = np.empty(active.size, dtype=np.float64)
    # Pairs are grouped by how many tokens each side has, so each group is a dense array.
    shape = na[active] * (_MAX_TOKENS + 1) + nb[active]
    for value in np.unique(shape):
        group = np.flatnonzero(shape == value)
        ka, kb = divmod(int(value), _MAX_TOKENS + 1)
        core[group] = _aligned(c, code_a[group], code_b[group], ka, kb)

    split = np.flatnonzero(c.token_count[code_a] != c.token_count[code_b])
    if split.size:
        ja, jb = code_a[split], code_b[split]
        ratios = cpdist(
            c.joined[ja].tolist(), c.joined[jb].tolist(),
            scorer=fuzz.ratio, dtype=np.float64, workers=1,
        )  # fmt: skip
        joined = np.asarray(ratios, dtype=np.float64) - _JOIN_PENALTY
        heads_differ = np.asarray(c.joined_head[ja] != c.joined_head[jb], dtype=bool)
        joined = np.where(heads_differ, joined - _HEAD_PENALTY, joined)
        core[split] = np.maximum(core[split], joined)

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
    scores[active] = np.minimum(100.0, np.maximum(0.0, core))
    return scores.tolist()


# ---------------------------------------------------------------------------------------------
# Blocking keys.


def _key(token: str) -> str:
    """First letter plus the next few consonants: vowels are where variants differ."""
    return (token[:1] + _skeleton(token)[:_KEY_CONSONANTS])[:_KEY_MAX_LEN]


def blocking_keys(form: NameForm, limit: int = 3) -> list[str]:
    """Keys for candidate retrieval: names that may match share at least one key."""
    if form.empty or limit <= 0:
        return []
    distinctive = [t for t in form.tokens if t not in _WEAK] or list(form.tokens)
    # Longer tokens make more selective keys, so they win when the limit bites; the key of
    # the glued name comes last and finds split/joined spellings (Premlata/Prem Lata).
    ordered = sorted(distinctive, key=len, reverse=True)
    if len(form.tokens) > 1:
        ordered.append("".join(form.tokens))
    keys: list[str] = []
    for token in ordered:
        key = _key(token)
        # The check only matters for a NameForm built by hand from unfolded text.
        if key and key.isascii() and key not in keys:
            keys.append(key)
    return sorted(keys[:limit])


@lru_cache(maxsize=1 << 18)
def name_keys(raw: str) -> tuple[str, ...]:
    """The blocking keys of a raw name. Cached: names repeat a great deal across a state (a
    crore of members carry about a lakh of distinct names), and the index, the checks and the
    bulk load all ask for them."""
    return tuple(blocking_keys(name_form(raw)))
