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

2. ``name_score`` aligns the *distinctive* tokens of two names: each token is compared with
   every token of the other name (rapidfuzz's normalised Indel ratio, plus a second ratio on
   tokens whose vowels are merged into classes, and a penalty when first letters differ,
   which is how most different Indian names differ: Sita/Gita, Rekha/Lekha). The shorter
   name must be covered by the longer one; extra tokens cost a little. Weak tokens (Devi,
   Kumari, Bai, Begum, Khatun...) never carry a match on their own, because two women both
   called "X Devi" share nothing from "Devi". Conflicting initials ("K. Lakshmi" versus
   "M. Lakshmi") are a strong penalty.

3. ``score_pairs`` computes exactly the same score for many pairs at once: token pairs are
   flattened per shape (number of tokens on each side) and scored by one
   ``rapidfuzz.process.cpdist`` call, and the alignment is done with numpy.

4. ``blocking_keys`` gives short consonant-skeleton keys so that a database index can find
   candidates; variants that the folding collapses share keys by construction.

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

# Merges vowels into classes for the second, vowel-tolerant ratio: Bengali and Assamese
# romanise the inherent vowel as o (Kobita, Junmoni), Hindi dialects swap a/u (Luxmi), and
# e/i are confused in Muslim names (Fatema/Fatima, Rehana/Rihana).
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
        if kind == _CONSONANT or kind == _DEAD:
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
    """A name reduced to what matters for comparing it."""

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


class _Profile(NamedTuple):
    """Everything the score needs from one form, computed once per form."""

    tokens: tuple[str, ...]  # distinctive tokens, or the weak ones if there is nothing else
    vowel_tokens: tuple[str, ...]  # "" where too short for vowel-class equality
    skeletons: tuple[str, ...]
    heads: tuple[str, ...]
    weak_only: bool
    weak_mask: int
    joined: str  # all tokens glued, in the order written
    token_count: int
    initials_mask: int
    explained_mask: int  # initials plus first letters of tokens


_WEAK_BITS = {word: 1 << i for i, word in enumerate(sorted(_WEAK))}
_LETTER_BITS = {chr(97 + i): 1 << i for i in range(26)}


@lru_cache(maxsize=1 << 16)
def _token_info(token: str) -> tuple[str, str]:
    """Vowel-class form (or "") and skeleton of a token; cached, as names share tokens."""
    vowel_form = token.translate(_VOWEL_CLASSES) if len(token) >= _VOWEL_MIN_LEN else ""
    return vowel_form, _skeleton(token)


@lru_cache(maxsize=1 << 16)
def _profile(form: NameForm) -> _Profile:
    tokens = form.tokens
    distinctive = [t for t in tokens if t not in _WEAK]
    chosen = tuple((distinctive or tokens)[:_MAX_TOKENS])
    weak_mask = 0
    explained_mask = 0
    for token in tokens:
        weak_mask |= _WEAK_BITS.get(token, 0)
        explained_mask |= _LETTER_BITS[token[0]]
    initials_mask = 0
    for letter in form.initials:
        initials_mask |= _LETTER_BITS[letter]
    infos = [_token_info(t) for t in chosen]
    return _Profile(
        chosen,
        tuple([info[0] for info in infos]),
        tuple([info[1] for info in infos]),
        tuple([t[0] for t in chosen]),
        not distinctive,
        weak_mask,
        "".join(tokens),
        len(tokens),
        initials_mask,
        explained_mask | initials_mask,
    )


def _token_similarity(a: _Profile, i: int, b: _Profile, j: int) -> float:
    similarity = fuzz.ratio(a.tokens[i], b.tokens[j])
    if a.vowel_tokens[i] and a.vowel_tokens[i] == b.vowel_tokens[j]:
        similarity = max(similarity, 100.0 - _VOWEL_PENALTY)
    if a.heads[i] != b.heads[j]:
        similarity = similarity - _HEAD_PENALTY
    if a.skeletons[i] != b.skeletons[j]:
        similarity = similarity - _SKELETON_PENALTY
    return similarity


def _coverage(best: list[float]) -> float:
    # Mean and weakest token together: one good token must not hide a wrong one.
    total = best[0]
    for value in best[1:]:
        total = total + value
    return (total / len(best) + min(best)) * 0.5


def _adjust(core: float, a: _Profile, b: _Profile, joined: float | None) -> float:
    if joined is not None:
        core = max(core, joined)
    if a.weak_mask and b.weak_mask and not a.weak_mask & b.weak_mask:
        core = core - _WEAK_MISMATCH_PENALTY
    if a.initials_mask and b.initials_mask:
        if (a.initials_mask & ~b.explained_mask) and (b.initials_mask & ~a.explained_mask):
            core = core - _INITIAL_CONFLICT_PENALTY
    elif a.initials_mask or b.initials_mask:
        core = core - _ONE_SIDED_INITIAL_PENALTY
    return min(100.0, max(0.0, core))


def _joined_similarity(a: _Profile, b: _Profile) -> float:
    similarity = fuzz.ratio(a.joined, b.joined) - _JOIN_PENALTY
    if a.joined[0] != b.joined[0]:
        similarity = similarity - _HEAD_PENALTY
    return similarity


def name_score(a: NameForm, b: NameForm) -> float:
    """Similarity of two names, 0..100 (0 if either is empty); symmetric."""
    if a.empty or b.empty:
        return 0.0
    pa, pb = _profile(a), _profile(b)
    if pa.weak_only != pb.weak_only:
        return _WEAK_ONLY_SCORE
    na, nb = len(pa.tokens), len(pb.tokens)
    matrix = [[_token_similarity(pa, i, pb, j) for j in range(nb)] for i in range(na)]
    rows = _coverage([max(row) for row in matrix])
    cols = _coverage([max(matrix[i][j] for i in range(na)) for j in range(nb)])
    if na < nb:
        core = rows - _EXTRA_TOKEN_PENALTY * (nb - na)
    elif nb < na:
        core = cols - _EXTRA_TOKEN_PENALTY * (na - nb)
    else:
        core = min(rows, cols)
    joined = _joined_similarity(pa, pb) if pa.token_count != pb.token_count else None
    return _adjust(core, pa, pb, joined)


def is_similar(a: NameForm, b: NameForm, threshold: float = NAME_THRESHOLD) -> bool:
    return name_score(a, b) >= threshold


def _profiles(forms: Sequence[NameForm]) -> list[_Profile | None]:
    return [_profile(form) if form.tokens else None for form in forms]


def _shape_scores(
    left: list[_Profile], right: list[_Profile], na: int, nb: int
) -> npt.NDArray[np.float64]:
    """Aligned token score for pairs whose names have na and nb tokens."""
    m = len(left)

    def table(columns: Iterable[tuple[str, ...]], n: int) -> npt.NDArray[np.object_]:
        flat = np.fromiter(chain.from_iterable(columns), dtype=object, count=m * n)
        return flat.reshape(m, n)

    tokens_a = table((p.tokens for p in left), na)
    tokens_b = table((p.tokens for p in right), nb)
    vowels_a = table((p.vowel_tokens for p in left), na).reshape(m, na, 1)
    vowels_b = table((p.vowel_tokens for p in right), nb).reshape(m, 1, nb)
    skeletons_a = table((p.skeletons for p in left), na).reshape(m, na, 1)
    skeletons_b = table((p.skeletons for p in right), nb).reshape(m, 1, nb)
    heads_a = table((p.heads for p in left), na).reshape(m, na, 1)
    heads_b = table((p.heads for p in right), nb).reshape(m, 1, nb)

    # Every token of one side against every token of the other, in one C++ call.
    flat_a = np.repeat(tokens_a, nb, axis=1).ravel().tolist()
    flat_b = np.tile(tokens_b, (1, na)).ravel().tolist()
    ratios = cpdist(flat_a, flat_b, scorer=fuzz.ratio, dtype=np.float64, workers=1)
    similarity = np.asarray(ratios, dtype=np.float64).reshape(m, na, nb)
    vowel_equal = (vowels_a == vowels_b) & (vowels_a != "")
    similarity = np.where(vowel_equal, np.maximum(similarity, 100.0 - _VOWEL_PENALTY), similarity)
    similarity = np.where(heads_a != heads_b, similarity - _HEAD_PENALTY, similarity)
    similarity = np.where(skeletons_a != skeletons_b, similarity - _SKELETON_PENALTY, similarity)

    def coverage(best: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        total = best[:, 0]
        for k in range(1, best.shape[1]):
            total = total + best[:, k]
        result: npt.NDArray[np.float64] = (total / best.shape[1] + best.min(axis=1)) * 0.5
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
    scores = np.zeros(n, dtype=np.float64)
    # Pairs are grouped by how many tokens each side has, so each group is a dense array.
    groups: dict[tuple[int, int], tuple[list[int], list[_Profile], list[_Profile]]] = {}
    weak_only_mismatch: list[int] = []
    for i, (a, b) in enumerate(zip(_profiles(left), _profiles(right), strict=True)):
        if a is None or b is None:
            continue
        if a.weak_only != b.weak_only:
            weak_only_mismatch.append(i)
            continue
        shape = (len(a.tokens), len(b.tokens))
        group = groups.get(shape)
        if group is None:
            group = groups[shape] = ([], [], [])
        group[0].append(i)
        group[1].append(a)
        group[2].append(b)
    scores[weak_only_mismatch] = _WEAK_ONLY_SCORE
    for (na, nb), (members, group_left, group_right) in groups.items():
        core = _shape_scores(group_left, group_right, na, nb)
        scores[members] = _adjust_bulk(core, group_left, group_right)
    return scores.tolist()


def _adjust_bulk(
    core: npt.NDArray[np.float64], left: list[_Profile], right: list[_Profile]
) -> npt.NDArray[np.float64]:
    """The corrections of ``_adjust``, vectorised."""
    m = len(left)
    count_a = np.fromiter((p.token_count for p in left), dtype=np.int64, count=m)
    count_b = np.fromiter((p.token_count for p in right), dtype=np.int64, count=m)
    differ = np.flatnonzero(count_a != count_b)
    if differ.size:
        joined_a = [left[i].joined for i in differ]
        joined_b = [right[i].joined for i in differ]
        joined = cpdist(joined_a, joined_b, scorer=fuzz.ratio, dtype=np.float64, workers=1)
        joined = np.asarray(joined, dtype=np.float64) - _JOIN_PENALTY
        heads_differ = np.fromiter(
            (a[0] != b[0] for a, b in zip(joined_a, joined_b, strict=True)),
            dtype=bool,
            count=differ.size,
        )
        joined = np.where(heads_differ, joined - _HEAD_PENALTY, joined)
        core = core.copy()
        core[differ] = np.maximum(core[differ], joined)
    weak_a = np.fromiter((p.weak_mask for p in left), dtype=np.int64, count=m)
    weak_b = np.fromiter((p.weak_mask for p in right), dtype=np.int64, count=m)
    weak_mismatch = (weak_a != 0) & (weak_b != 0) & ((weak_a & weak_b) == 0)
    core = np.where(weak_mismatch, core - _WEAK_MISMATCH_PENALTY, core)
    init_a = np.fromiter((p.initials_mask for p in left), dtype=np.int64, count=m)
    init_b = np.fromiter((p.initials_mask for p in right), dtype=np.int64, count=m)
    expl_a = np.fromiter((p.explained_mask for p in left), dtype=np.int64, count=m)
    expl_b = np.fromiter((p.explained_mask for p in right), dtype=np.int64, count=m)
    both = (init_a != 0) & (init_b != 0)
    conflict = both & ((init_a & ~expl_b) != 0) & ((init_b & ~expl_a) != 0)
    one_sided = ~both & ((init_a != 0) | (init_b != 0))
    core = np.where(conflict, core - _INITIAL_CONFLICT_PENALTY, core)
    core = np.where(one_sided, core - _ONE_SIDED_INITIAL_PENALTY, core)
    result: npt.NDArray[np.float64] = np.minimum(100.0, np.maximum(0.0, core))
    return result


# ---------------------------------------------------------------------------------------------
# Blocking keys.


def _key(token: str) -> str:
    """First letter plus the next few consonants: vowels are where variants differ."""
    return (token[0] + _skeleton(token)[:_KEY_CONSONANTS])[:_KEY_MAX_LEN]


def blocking_keys(form: NameForm, limit: int = 3) -> list[str]:
    """Keys for candidate retrieval: names that may match share at least one key."""
    if form.empty or limit <= 0:
        return []
    distinctive = [t for t in form.tokens if t not in _WEAK] or list(form.tokens)
    # Longer tokens make more selective keys, so they win when the limit bites; the key of
    # the glued name comes last and finds split/joined spellings (Premlata/Prem Lata).
    ordered = sorted(distinctive, key=len, reverse=True)
    keys: list[str] = []
    for token in ordered:
        key = _key(token)
        if key not in keys:
            keys.append(key)
    if len(form.tokens) > 1:
        key = _key("".join(form.tokens))
        if key not in keys:
            keys.append(key)
    return sorted(keys[:limit])
