"""The synthetic members of the de-duplication benchmark: deterministic, sliceable, well formed,
unique identifiers apart from the planted duplicates, and planted duplicates that are findable."""

from __future__ import annotations

import itertools
import random
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest
from rapidfuzz import fuzz

from bench import dedup_synth as ds
from services.profiles.identifiers import aadhaar_valid, verhoeff_check_digit

N = 20_000
# Few panchayats, so that every one is populated with big chunks: the other layout.
SMALL_STATE = ds.Geography(
    districts=2, blocks_per_district=2, panchayats_per_block=3, villages_per_panchayat=4
)


@pytest.fixture(scope="module")
def members() -> list[ds.SynthMember]:
    return list(ds.generate(N, seed=11))


@pytest.fixture(scope="module")
def by_id(members: list[ds.SynthMember]) -> dict[uuid.UUID, ds.SynthMember]:
    return {m.member_id: m for m in members}


def _index(u: uuid.UUID) -> int:
    return u.int & (2**62 - 1)


def _account(value: str) -> str:
    return re.sub(r"[\s-]", "", value).lstrip("0")


def _ident(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def test_same_seed_same_members_other_seed_others(members: list[ds.SynthMember]) -> None:
    assert list(ds.generate(N, seed=11)) == members
    other = list(ds.generate(N, seed=12))
    assert len(other) == N
    assert sum(a.aadhaar == b.aadhaar for a, b in zip(members, other, strict=True)) < N // 10
    assert {m.member_id for m in other}.isdisjoint(m.member_id for m in members)


@pytest.mark.parametrize("geography", [ds.DEFAULT_GEOGRAPHY, SMALL_STATE])
def test_slices_are_the_full_sequence_cut(geography: ds.Geography) -> None:
    full = list(ds.generate(N, seed=5, geography=geography))
    assert len(full) == N
    for start, stop in ((0, 1), (137, 5003), (5003, 12_345), (N - 10, N), (4000, 4000)):
        part = list(ds.generate(N, seed=5, geography=geography, start=start, stop=stop))
        assert part == full[start:stop]
    half = N // 2 + 7
    first = ds.generate(N, seed=5, geography=geography, stop=half)
    second = ds.generate(N, seed=5, geography=geography, start=half)
    assert [*first, *second] == full
    assert [_index(m.member_id) for m in full] == list(range(N))


def test_a_slice_deep_in_one_crore_needs_no_prefix() -> None:
    total = 10_000_000
    a = list(ds.generate(total, start=5_000_000, stop=5_000_600))
    b = list(ds.generate(total, start=4_999_990, stop=5_001_000))
    assert a == b[10:610]
    assert [_index(m.member_id) for m in a] == list(range(5_000_000, 5_000_600))


def test_blocks_at_one_crore() -> None:
    total = 10_000_000
    geo = ds.DEFAULT_GEOGRAPHY
    slices = [ds.block_of(total, b) for b in range(geo.blocks)]
    assert slices[0].start == 0 and slices[-1].stop == total
    assert all(x.stop == y.start for x, y in itertools.pairwise(slices))
    assert {x.members for x in slices} <= set(range(18_700, 18_900))
    assert len({x.block for x in slices}) == geo.blocks
    blk = slices[123]
    edge = list(ds.generate(total, start=blk.start - 1, stop=blk.start + 300))
    assert edge[0].block != blk.block
    assert {m.block for m in edge[1:]} == {blk.block}
    assert {m.district for m in edge[1:]} == {blk.district}
    assert len({m.village for m in edge[1:]}) >= 2


def test_block_of_small_totals_covers_everyone() -> None:
    slices = [ds.block_of(N, b) for b in range(ds.DEFAULT_GEOGRAPHY.blocks)]
    assert sum(x.members for x in slices) == N
    blk = max(slices, key=lambda x: x.members)
    assert {m.block for m in ds.generate(N, start=blk.start, stop=blk.stop)} == {blk.block}


def test_fields_have_their_formats(members: list[ds.SynthMember]) -> None:
    for m in members:
        assert m.member_id.version == 8 and m.shg_id.version == 8
        assert re.fullmatch(r"5\d\d", m.district)
        assert re.fullmatch(r"5\d{3}", m.block)
        assert re.fullmatch(r"2\d{5}", m.panchayat)
        assert re.fullmatch(r"6\d{5}", m.village)
        assert m.household_code.startswith(f"{m.village}-")
        assert re.fullmatch(r"[A-Za-z][A-Za-z .]+", m.name), m.name
        assert re.fullmatch(r"[A-Za-z][A-Za-z .]+", m.relative_name), m.relative_name
        assert m.status in ("approved", "pending", "migrated")
        assert m.planted in ("", *ds.PLANTED_KINDS)
        assert (m.duplicate_of is None) == (m.planted == "")
        assert re.fullmatch(r"([6-9]\d{9})?", m.mobile)
        # Planted copies may carry formatting noise; the normalised value has the format.
        aadhaar = _ident(m.aadhaar)
        assert aadhaar == "" or (re.fullmatch(r"[2-9]\d{11}", aadhaar) and aadhaar_valid(aadhaar))
        if m.planted != "aadhaar":
            assert re.fullmatch(r"(\d{12})?", m.aadhaar)
        assert re.fullmatch(r"(\d{9,18})?", _ident(m.bank_account))
        assert bool(m.bank_account) == bool(m.ifsc)
        assert re.fullmatch(r"([A-Z]{4}0[A-Z0-9]{6})?", _ident(m.ifsc))
        if m.planted != "bank":
            assert re.fullmatch(r"(\d{9,18})?", m.bank_account)
            assert m.ifsc == m.ifsc.upper()
        assert re.fullmatch(r"([A-Z]{3}\d{7})?", _ident(m.voter_id))
        if m.planted != "voter":
            assert re.fullmatch(r"([A-Z]{3}\d{7})?", m.voter_id)


def test_shares_of_missing_identifiers_and_statuses(members: list[ds.SynthMember]) -> None:
    def share(pred: Callable[[ds.SynthMember], bool]) -> float:
        return sum(1 for m in members if pred(m)) / N

    assert share(lambda m: not m.aadhaar) == pytest.approx(0.08, abs=0.015)
    assert share(lambda m: not m.bank_account) == pytest.approx(0.15, abs=0.02)
    assert share(lambda m: not m.voter_id) == pytest.approx(0.30, abs=0.025)
    assert share(lambda m: not m.mobile) == pytest.approx(0.10, abs=0.02)
    assert share(lambda m: m.status == "approved") == pytest.approx(0.85, abs=0.02)
    assert share(lambda m: m.status == "pending") == pytest.approx(0.10, abs=0.02)
    assert share(lambda m: m.status == "migrated") == pytest.approx(0.05, abs=0.015)
    assert share(lambda m: m.bank_account.startswith("0")) > 0.02  # some banks' accounts do


def test_fast_verhoeff_matches_the_service() -> None:
    rnd = random.Random(1)
    for _ in range(3000):
        body = rnd.randrange(2 * 10**10, 10**11)
        assert ds.aadhaar_from_body(body) == f"{body}{verhoeff_check_digit(str(body))}"


@pytest.mark.parametrize(
    ("field", "kind", "norm"),
    [
        ("aadhaar", "aadhaar", _ident),
        ("voter_id", "voter", _ident),
        ("bank_account", "bank", _account),
    ],
)
def test_identifiers_unique_apart_from_planted(
    members: list[ds.SynthMember],
    by_id: dict[uuid.UUID, ds.SynthMember],
    field: str,
    kind: str,
    norm: Callable[[str], str],
) -> None:
    groups: dict[str, list[ds.SynthMember]] = defaultdict(list)
    for m in members:
        value = norm(getattr(m, field))
        if value:
            groups[value].append(m)
    shared = [g for g in groups.values() if len(g) > 1]
    assert shared, f"no planted {kind} duplicates"
    for group in shared:
        originals = [m for m in group if m.planted != kind]
        assert len(originals) == 1
        assert all(m.duplicate_of == originals[0].member_id for m in group if m.planted == kind)


def test_households_share_a_mobile_and_nothing_else_does(members: list[ds.SynthMember]) -> None:
    households: dict[str, list[ds.SynthMember]] = defaultdict(list)
    for m in members:
        households[m.household_code].append(m)
    sizes = Counter(len(h) for h in households.values())
    assert set(sizes) == {1, 2, 3}
    assert sizes[1] > sizes[2] > sizes[3] > 0
    for h in households.values():
        assert len({m.mobile for m in h}) == 1
        assert len({m.village for m in h}) == 1
        assert len({m.shg_id for m in h}) == len(h)  # one woman of a household per SHG
    by_mobile: dict[str, set[str]] = defaultdict(set)
    for m in members:
        if m.mobile and m.planted != "mobile":
            by_mobile[m.mobile].add(m.household_code)
    assert all(len(codes) == 1 for codes in by_mobile.values())


def test_shgs_and_villages(members: list[ds.SynthMember]) -> None:
    shgs: dict[uuid.UUID, list[ds.SynthMember]] = defaultdict(list)
    for m in members:
        shgs[m.shg_id].append(m)
    assert {len(s) for s in shgs.values()} <= set(range(10, 16))
    assert len({len(s) for s in shgs.values()}) == 6
    for s in shgs.values():
        assert len({m.village for m in s}) == 1
        indexes = [_index(m.member_id) for m in s]
        assert indexes == list(range(indexes[0], indexes[0] + len(s)))  # contiguous


HONORIFICS = {"smt", "shrimati", "mrs", "sri", "shri", "sh", "late", "mst"}
# Abbreviations a matcher expands before comparing ("Md. Ali" is "Mohammad Ali").
EXPANSIONS = {"md": "mohammad", "mohd": "mohammad", "kr": "kumar", "pd": "prasad", "sk": "sheikh"}


# Spelling folds, so that "Seeta" and "Sita", "Debi" and "Devi" compare equal.
FOLDS = (("ksh", "x"), ("ee", "i"), ("oo", "u"), ("th", "t"), ("ph", "f"), ("sh", "s"), ("v", "b"))
FOLDS += (("w", "b"), ("z", "j"), ("q", "k"), ("aa", "a"), ("y", "i"), ("ll", "l"), ("nn", "n"))


def _plain(name: str) -> str:
    words = re.sub(r"[.]", " ", name.lower()).split()
    out = " ".join(EXPANSIONS.get(w, w) for w in words if w not in HONORIFICS)
    for a, b in FOLDS:
        out = out.replace(a, b)
    return out


def _similar(a: str, b: str) -> float:
    a, b = _plain(a), _plain(b)
    return max(fuzz.token_set_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def test_planted_duplicates_copy_an_earlier_member_of_the_panchayat(
    members: list[ds.SynthMember], by_id: dict[uuid.UUID, ds.SynthMember]
) -> None:
    planted = [m for m in members if m.planted]
    for m in planted:
        assert m.duplicate_of is not None
        o = by_id[m.duplicate_of]
        assert not o.planted
        assert _index(o.member_id) < _index(m.member_id)
        assert (o.district, o.block, o.panchayat) == (m.district, m.block, m.panchayat)
        assert o.shg_id != m.shg_id
        assert o.household_code != m.household_code
        if m.planted == "aadhaar":
            assert _ident(m.aadhaar) == o.aadhaar
        elif m.planted == "bank":
            assert _account(m.bank_account) == _account(o.bank_account)
            assert _ident(m.ifsc) == o.ifsc
        elif m.planted == "voter":
            assert _ident(m.voter_id) == o.voter_id
        elif m.planted == "mobile":
            assert m.mobile == o.mobile != ""
        if m.planted in ("name", "mobile"):
            assert _similar(m.name, o.name) >= 70, (m.name, o.name)
            assert _similar(m.relative_name, o.relative_name) >= 70
        if m.planted == "name":
            for field in ("aadhaar", "bank_account", "voter_id", "mobile"):
                assert not getattr(m, field) or getattr(m, field) != getattr(o, field)
    # Some land in another village of the panchayat, some carry formatting noise.
    assert any(by_id[m.duplicate_of].village != m.village for m in planted)  # type: ignore[index]
    assert any(" " in m.aadhaar or "-" in m.aadhaar for m in planted)


def test_planted_rate_is_respected() -> None:
    total = 20_000
    kinds = Counter(m.planted for m in ds.generate(total, seed=3, planted_rate=0.02) if m.planted)
    assert sum(kinds.values()) == pytest.approx(0.02 * total, rel=0.15)
    assert set(kinds) == set(ds.PLANTED_KINDS)
    assert kinds["aadhaar"] > kinds["mobile"]
    default = sum(1 for m in ds.generate(total, seed=3) if m.planted)
    assert 0.001 * total <= default <= 0.003 * total
    assert not any(m.planted for m in ds.generate(total, seed=3, planted_rate=0.0))


def test_names_are_many_and_regional(members: list[ds.SynthMember]) -> None:
    def distinct(suffix: str) -> set[str]:
        return {
            name
            for attr in dir(ds)
            if attr.endswith(suffix)
            for name in getattr(ds, attr)
            if isinstance(getattr(ds, attr), tuple)
        }

    assert len(distinct("_WOMEN")) >= 150
    assert len(distinct("_MEN")) >= 120
    assert len(distinct("_SURNAMES")) >= 80
    words = Counter(w for m in members for w in m.name.split())
    for word in ("Laxmi", "Lakshmi", "Devi", "Kumari", "Begum", "Khatun", "Beevi"):
        assert words[word] > 0, word
    assert any(w.endswith("ben") for w in words)
    regions = {m.district: ds.region_of_district(int(m.district) - 501) for m in members}
    telugu = [m.name for m in members if regions[m.district] == "telugu"]
    assert sum(bool(re.match(r"[A-Z]\. ", n)) for n in telugu) > len(telugu) / 3  # "K. Lakshmi"
    # Common names repeat, as in real registers, without one name dominating.
    top = Counter(m.name for m in members).most_common(1)[0][1]
    assert 20 < top < N // 50


@pytest.mark.parametrize(
    "name",
    [
        "Sunita Devi",
        "K. Lakshmi",
        "Fathima Beevi",
        "Hansaben Rameshbhai Patel",
        "Selvi",
        "Md. Salim",
        "Ramesh Kumar",
        "Sasmita Behera",
    ],
)
def test_name_variants_differ_but_stay_close(name: str) -> None:
    rnd = random.Random(name)
    for _ in range(200):
        variant = ds.name_variant(name, rnd.random)
        assert variant != name
        assert _similar(variant, name) >= 75, variant
