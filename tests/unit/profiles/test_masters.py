"""The masters: complete, bilingual, stable codes, and the helpers other rules use."""

from __future__ import annotations

import re

import pytest

from lokos.errors import NotFound
from lokos.profiles.v1 import profiles_pb2
from services.profiles.masters import MASTERS, is_code, items, label, names
from services.profiles.masters.grpc_api import MastersRpc

DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def test_every_master_the_profiles_need_is_there() -> None:
    assert set(names()) == {
        "social_category",
        "relation",
        "gender",
        "shg_type",
        "rejection_remark",
        "bank",
        "designation",
        "identifier",
    }
    assert [i.code for i in items("social_category")] == ["SC", "ST", "OBC", "GEN", "OTH"]
    assert [i.code for i in items("gender")] == ["F", "M", "T"]
    assert [i.code for i in items("shg_type")] == ["general", "elderly", "pwd", "pvtg", "other"]
    assert [i.code for i in items("identifier")] == [
        "mobile",
        "bank_account",
        "voter_id",
        "aadhaar",
    ]
    assert {"HUSBAND", "FATHER", "MOTHER", "SON", "DAUGHTER", "BROTHER", "SISTER", "OTHER"} == {
        i.code for i in items("relation")
    }


@pytest.mark.parametrize("master", sorted(MASTERS))
def test_each_item_has_a_unique_code_and_both_labels(master: str) -> None:
    codes = [i.code for i in items(master)]
    assert len(codes) == len(set(codes)), codes
    for item in items(master):
        assert item.code and item.code == item.code.strip()
        assert item.label_en.strip() and not DEVANAGARI.search(item.label_en), item
        assert DEVANAGARI.search(item.label_hi), item


def test_banks_are_keyed_by_their_ifsc_prefix() -> None:
    banks = {i.code: i.label_en for i in items("bank")}
    assert all(re.fullmatch(r"[A-Z]{4}", code) for code in banks)
    assert banks["SBIN"] == "State Bank of India"
    assert banks["PUNB"] == "Punjab National Bank"
    assert banks["PSIB"] == "Punjab & Sind Bank"
    assert len(banks) >= 12


def test_rejection_remarks_are_numbered_and_end_with_other() -> None:
    remarks = items("rejection_remark")
    assert [r.code for r in remarks] == [f"R{n:02d}" for n in range(1, len(remarks) + 1)]
    assert remarks[-1].label_en == "Other"
    assert label("rejection_remark", "R02") == "Aadhaar e-KYC failed"


def test_designations_include_the_community_cadres() -> None:
    labels = {i.label_en for i in items("designation")}
    assert {"Community Mobiliser", "Samooh Sakhi", "Accountant", "Bookkeeper"} <= labels
    assert "Block Mission Manager" in labels
    assert is_code("designation", "CRP")


def test_is_code() -> None:
    assert is_code("social_category", "OBC")
    assert not is_code("social_category", "obc")
    assert not is_code("social_category", "")
    assert not is_code("no_such_master", "OBC")


def test_label_in_either_language_and_unknown_codes_shown_as_they_are() -> None:
    assert label("gender", "F") == "Female"
    assert label("gender", "F", "en") == "Female"
    assert label("gender", "F", "hi") == "महिला"
    assert label("gender", "F", "local") == "महिला"
    assert label("gender", "F", "fr") == "Female"
    assert label("gender", "X", "hi") == "X"
    assert label("nothing", "F") == "F"


async def test_list_masters_rpc_all_one_and_unknown() -> None:
    rpc = MastersRpc()
    every = await rpc.ListMasters(profiles_pb2.ListMastersRequest(), None)  # type: ignore[arg-type]
    assert [m.name for m in every.masters] == list(names())
    one = await rpc.ListMasters(profiles_pb2.ListMastersRequest(name="gender"), None)  # type: ignore[arg-type]
    first = one.masters[0].items[0]
    assert (first.code, first.label_en, first.label_local) == ("F", "Female", "महिला")
    with pytest.raises(NotFound):
        await rpc.ListMasters(profiles_pb2.ListMastersRequest(name="castes"), None)  # type: ignore[arg-type]
