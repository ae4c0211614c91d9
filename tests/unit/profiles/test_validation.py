"""Field rules of member and SHG/VO/CLF profiles, with messages in English and Hindi."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from lokos.errors import FieldError
from lokos.i18n import SUPPORTED_LANGUAGES, current_language
from services.profiles import identifiers
from services.profiles.messages import LABELS, MESSAGES, Code
from services.profiles.validation import approval_date_errors, cbo_errors, member_errors

TODAY = date(2024, 6, 15)


def aadhaar(first_eleven: str) -> str:
    """A Verhoeff-valid Aadhaar number from its first 11 digits."""
    return first_eleven + identifiers.verhoeff_check_digit(first_eleven)


def bad_aadhaar(first_eleven: str) -> str:
    """The same number with a wrong check digit."""
    good = identifiers.verhoeff_check_digit(first_eleven)
    return first_eleven + str((int(good) + 1) % 10)


VALID_AADHAAR = aadhaar("23456789012")
VALID_MEMBER: dict[str, object] = {
    "name": "Sunita Devi",
    "name_local": "सुनीता देवी",
    "gender": "F",
    "date_of_birth": date(1985, 3, 10),
    "social_category": "OBC",
    "relative_name": "Ramesh Kumar",
    "relation": "HUSBAND",
    "household_code": "HH-0042/7",
    "mobile": "9876543210",
    "bank_account": "012345678901",
    "ifsc": "SBIN0001234",
    "voter_id": "ABC1234567",
    "aadhaar": VALID_AADHAAR,
}
VALID_SHG: dict[str, object] = {
    "name": "Jai Maa Durga SHG 2",
    "name_local": "जय माँ दुर्गा स्वयं सहायता समूह 2",
    "shg_type": "general",
    "formed_on": date(2015, 8, 1),
    "bank_account": "30123456789",
    "ifsc": "UBIN0531234",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    token = current_language.set("en")
    yield
    current_language.reset(token)


def member(creating: bool = False, **fields: object) -> list[FieldError]:
    return member_errors(fields, today=TODAY, creating=creating)


def cbo(cbo_type: str = "SHG", creating: bool = False, **fields: object) -> list[FieldError]:
    return cbo_errors(fields, cbo_type=cbo_type, today=TODAY, creating=creating)


def codes(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.code for e in errors}


# --- whole profiles ------------------------------------------------------------------------


def test_a_complete_valid_member_has_no_errors() -> None:
    assert member_errors(VALID_MEMBER, today=TODAY, creating=True) == []


def test_a_complete_valid_shg_has_no_errors() -> None:
    assert cbo_errors(VALID_SHG, cbo_type="SHG", today=TODAY, creating=True) == []


def test_nothing_given_on_update_is_valid() -> None:
    assert member() == []
    assert cbo() == []
    not_given = dict.fromkeys(VALID_MEMBER)
    assert member_errors(not_given, today=TODAY, creating=False) == []


def test_every_invalid_field_is_reported_once() -> None:
    errors = member(
        creating=True,
        gender="X",
        mobile="12345",
        aadhaar="1234",
        date_of_birth=date(2030, 1, 1),
    )
    assert codes(errors) == {
        "name": "required",
        "gender": "gender_invalid",
        "date_of_birth": "date_in_future",
        "mobile": "mobile_invalid",
        "aadhaar": "aadhaar_format",
    }
    assert len(errors) == 5


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Sunita Devi",
        "सुनीता देवी",
        "K. Lakshmi",
        "Mary D'Souza",
        "Mary D’Souza",
        "Rani Bai-Meena",
        "  Sunita Devi  ",
        "Bé",
        "Śānti Kumārī",
        "সুনীতা দেবী",  # Bengali
        "ਸੁਨੀਤਾ ਕੌਰ",  # Gurmukhi
        "સુનીતા પટેલ",  # Gujarati
        "ସୁନୀତା ଦେବୀ",  # Oriya
        "சுனிதா தேவி",  # Tamil
        "సునీత దేవి",  # Telugu
        "ಸುನೀತಾ ದೇವಿ",  # Kannada
        "സുനിത ദേവി",  # Malayalam
        "ज्योति",
        "क्\u200dष",  # zero-width joiner inside a conjunct
        "Sa",
        "S" * 100,
    ],
)
def test_valid_member_names(name: str) -> None:
    assert member(name=name, relative_name=name) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("S", "too_short"),
        ("  S  ", "too_short"),
        ("S" * 101, "too_long"),
        ("Sunita Devi 2", "name_digits"),
        ("सुनीता २", "name_digits"),
        ("Sunita_Devi", "name_characters"),
        ("Sunita@Devi", "name_characters"),
        ("सुनीता देवी।", "name_characters"),
        ("Sunita\tDevi", "name_characters"),
        ("...", "name_characters"),
        ("- '", "name_characters"),
        ("Sunita × Devi", "name_characters"),
        ("Сунита", "name_characters"),  # Cyrillic
        ("Sunita देवी", "name_mixed_scripts"),
        ("सुनीता দেবী", "name_mixed_scripts"),
        ("Sunitaि", "name_mixed_scripts"),
    ],
)
def test_invalid_member_names(name: str, code: str) -> None:
    assert codes(member(name=name)) == {"name": code}
    assert codes(member(relative_name=name)) == {"relative_name": code}


def test_name_is_required_when_creating_and_never_blank() -> None:
    assert codes(member(creating=True)) == {"name": "required"}
    assert codes(member(creating=True, name=None)) == {"name": "required"}
    assert codes(member(creating=True, name="   ")) == {"name": "required"}
    assert codes(member(name="")) == {"name": "required"}
    assert member(name=None) == []


def test_optional_names_may_be_cleared() -> None:
    assert member(name_local="", relative_name="  ") == []


@pytest.mark.parametrize("name", ["सुनीता देवी", "சுனிதா தேவி", "ਸੁਨੀਤਾ ਕੌਰ"])
def test_valid_local_names(name: str) -> None:
    assert member(name_local=name) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sunita Devi", "name_local_script"),
        ("Sunita देवी", "name_local_script"),
        ("सुनीता দেবী", "name_mixed_scripts"),
        ("सुनीता 2", "name_digits"),
        ("स", "too_short"),
    ],
)
def test_invalid_local_names(name: str, code: str) -> None:
    assert codes(member(name_local=name)) == {"name_local": code}


def test_a_value_of_the_wrong_type_is_reported() -> None:
    assert codes(member(name=42, mobile=9876543210, date_of_birth="1985-03-10")) == {
        "name": "wrong_type",
        "mobile": "wrong_type",
        "date_of_birth": "wrong_type",
    }


# --- member choices ------------------------------------------------------------------------


@pytest.mark.parametrize("gender", ["F", "M", "T"])
def test_valid_genders(gender: str) -> None:
    assert member(gender=gender) == []


@pytest.mark.parametrize("gender", ["X", "Female", "FM"])
def test_invalid_genders(gender: str) -> None:
    assert codes(member(gender=gender)) == {"gender": "gender_invalid"}


@pytest.mark.parametrize("category", ["SC", "ST", "OBC", "GEN", "OTH"])
def test_valid_social_categories(category: str) -> None:
    assert member(social_category=category) == []


@pytest.mark.parametrize("category", ["GENERAL", "BC", "obc"])
def test_invalid_social_categories(category: str) -> None:
    assert codes(member(social_category=category)) == {"social_category": "social_category_invalid"}


@pytest.mark.parametrize(
    "relation", ["HUSBAND", "FATHER", "MOTHER", "SON", "DAUGHTER", "BROTHER", "SISTER", "OTHER"]
)
def test_valid_relations(relation: str) -> None:
    assert member(relation=relation) == []


@pytest.mark.parametrize("relation", ["WIFE", "UNCLE", "husband"])
def test_invalid_relations(relation: str) -> None:
    assert codes(member(relation=relation)) == {"relation": "relation_invalid"}


@pytest.mark.parametrize("household", ["HH1", "UP-123/45", "a" * 32, "0042"])
def test_valid_household_codes(household: str) -> None:
    assert member(household_code=household) == []


@pytest.mark.parametrize(
    ("household", "code"),
    [
        ("a" * 33, "too_long"),
        ("HH 12", "household_code_format"),
        ("HH#12", "household_code_format"),
        ("घर12", "household_code_format"),
    ],
)
def test_invalid_household_codes(household: str, code: str) -> None:
    assert codes(member(household_code=household)) == {"household_code": code}


# --- date of birth -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born",
    [
        date(2006, 6, 15),  # 18 today
        date(1924, 6, 15),  # 100 today
        date(1924, 6, 16),  # 100 until tomorrow
        date(1980, 2, 29),
        datetime(1985, 3, 10, 0, 0),
    ],
)
def test_valid_dates_of_birth(born: date) -> None:
    assert member(date_of_birth=born) == []


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (date(2024, 6, 16), "date_in_future"),
        (date(2006, 6, 16), "member_too_young"),  # 18 tomorrow
        (date(2020, 1, 1), "member_too_young"),
        (date(1923, 6, 14), "member_too_old"),  # 101
        (date(1900, 1, 1), "member_too_old"),
    ],
)
def test_invalid_dates_of_birth(born: date, code: str) -> None:
    assert codes(member(date_of_birth=born)) == {"date_of_birth": code}


def test_the_age_message_says_members_are_adult_women() -> None:
    (young,) = member(date_of_birth=date(2010, 1, 1))
    assert "adult women" in young.message and "18" in young.message
    (old,) = member(date_of_birth=date(1900, 1, 1))
    assert "adult women" in old.message and "100" in old.message


# --- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize("mobile", ["9876543210", "6000000000", "+91 98765 43210", "09876543210"])
def test_valid_mobiles(mobile: str) -> None:
    assert member(mobile=mobile.replace("+", "")) == []


@pytest.mark.parametrize("mobile", ["5876543210", "987654321", "98765432101", "98765abcde"])
def test_invalid_mobiles(mobile: str) -> None:
    assert codes(member(mobile=mobile)) == {"mobile": "mobile_invalid"}


@pytest.mark.parametrize(
    ("account", "ifsc"),
    [
        ("123456789", "SBIN0001234"),
        ("012345678901234567", "HDFC0ABC123"),
        ("1234 5678 9012", "sbin0001234"),
    ],
)
def test_valid_bank_details(account: str, ifsc: str) -> None:
    assert member(bank_account=account, ifsc=ifsc) == []
    assert cbo(bank_account=account, ifsc=ifsc) == []


@pytest.mark.parametrize(
    ("account", "ifsc", "expected"),
    [
        ("12345678", "SBIN0001234", {"bank_account": "bank_account_invalid"}),
        ("1234567890123456789", "SBIN0001234", {"bank_account": "bank_account_invalid"}),
        ("12345678A9", "SBIN0001234", {"bank_account": "bank_account_invalid"}),
        ("123456789", "SBIN1001234", {"ifsc": "ifsc_invalid"}),
        ("123456789", "SBI00001234", {"ifsc": "ifsc_invalid"}),
        ("123456789", "SBIN000123", {"ifsc": "ifsc_invalid"}),
        ("123456789", None, {"ifsc": "ifsc_required"}),
        ("123456789", "", {"ifsc": "ifsc_required"}),
        (None, "SBIN0001234", {"bank_account": "bank_account_required"}),
        ("  ", "SBIN0001234", {"bank_account": "bank_account_required"}),
        ("12345678", None, {"bank_account": "bank_account_invalid", "ifsc": "ifsc_required"}),
    ],
)
def test_invalid_bank_details(
    account: str | None, ifsc: str | None, expected: dict[str, str]
) -> None:
    assert codes(member(bank_account=account, ifsc=ifsc)) == expected
    assert codes(cbo(bank_account=account, ifsc=ifsc)) == expected


def test_bank_details_may_be_cleared_together() -> None:
    assert member(bank_account="", ifsc="") == []


@pytest.mark.parametrize("voter_id", ["ABC1234567", "abc1234567", "ABC 1234567"])
def test_valid_voter_ids(voter_id: str) -> None:
    assert member(voter_id=voter_id) == []


@pytest.mark.parametrize("voter_id", ["AB12345678", "ABC123456", "ABCD123456", "1234567890"])
def test_invalid_voter_ids(voter_id: str) -> None:
    (error,) = member(voter_id=voter_id)
    assert (error.field, error.code) == ("voter_id", "voter_id_invalid")
    assert "ABC1234567" in error.message


@pytest.mark.parametrize(
    "number",
    [
        VALID_AADHAAR,
        aadhaar("99999999999"),
        aadhaar("20000000000"),
        aadhaar("87654321098"),
        "2345 6789 " + VALID_AADHAAR[8:],
        VALID_AADHAAR[:4] + "-" + VALID_AADHAAR[4:8] + "-" + VALID_AADHAAR[8:],
    ],
)
def test_valid_aadhaar(number: str) -> None:
    assert identifiers.aadhaar_valid(number)
    assert member(aadhaar=number) == []


@pytest.mark.parametrize(
    "number",
    [
        "2345678901",  # 10 digits
        "2345678901234",  # 13 digits
        aadhaar("03456789012"),  # starts with 0, though the check digit is right
        aadhaar("13456789012"),  # starts with 1
        "23456789012A",
        "२३४५६७८९०१२४",  # Devanagari digits
    ],
)
def test_aadhaar_of_the_wrong_shape(number: str) -> None:
    assert codes(member(aadhaar=number)) == {"aadhaar": "aadhaar_format"}


@pytest.mark.parametrize(
    "first_eleven", ["23456789012", "99999999999", "87654321098", "50000000001"]
)
def test_aadhaar_with_a_wrong_check_digit(first_eleven: str) -> None:
    number = bad_aadhaar(first_eleven)
    assert not identifiers.aadhaar_valid(number)
    (error,) = member(aadhaar=number)
    assert (error.field, error.code) == ("aadhaar", "aadhaar_checksum")


def test_an_aadhaar_with_two_digits_swapped_is_caught() -> None:
    swapped = VALID_AADHAAR[1] + VALID_AADHAAR[0] + VALID_AADHAAR[2:]
    assert codes(member(aadhaar=swapped)) == {"aadhaar": "aadhaar_checksum"}


def test_messages_never_repeat_the_identifier() -> None:
    secrets = {
        "aadhaar": bad_aadhaar("23456789012"),
        "bank_account": "98765432",
        "ifsc": "XXXX1234567",
        "mobile": "1234567890",
        "voter_id": "ZZ99999999",
    }
    errors = member_errors(secrets, today=TODAY, creating=False)
    assert {e.field for e in errors} == set(secrets)
    for e in errors:
        for value in secrets.values():
            assert value not in e.message


# --- CBOs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Jai Maa Durga SHG 2",
        "Lakshmi Mahila Swayam Sahayata Samooh",
        "St. Mary's SHG (Unit-1)",
        "Radha & Krishna SHG",
        "जय माँ दुर्गा स्वयं सहायता समूह",
        "जय माँ दुर्गा SHG",
        "Jai Maa Durga SHG २",
        "S" * 200,
    ],
)
def test_valid_cbo_names(name: str) -> None:
    for cbo_type in ("SHG", "VO", "CLF"):
        assert cbo(cbo_type, name=name) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("S", "too_short"),
        ("S" * 201, "too_long"),
        ("Jai Maa Durga SHG #2", "cbo_name_characters"),
        ("Jai Maa Durga SHG, 2", "cbo_name_characters"),
        ("Jai Maa Durga / SHG", "cbo_name_characters"),
        ("जय माँ दुर्गा समूह।", "cbo_name_characters"),
        ("&()", "cbo_name_characters"),
        ("12", "cbo_name_characters"),
    ],
)
def test_invalid_cbo_names(name: str, code: str) -> None:
    assert codes(cbo(name=name)) == {"name": code}


def test_cbo_name_is_required_when_creating_and_never_blank() -> None:
    for cbo_type in ("SHG", "VO", "CLF"):
        assert codes(cbo(cbo_type, creating=True)) == {"name": "required"}
        assert codes(cbo(cbo_type, name=" ")) == {"name": "required"}
        assert cbo(cbo_type, creating=True, name="Gram Sangathan Rampur") == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Jai Maa Durga SHG", "name_local_script"),
        ("जय माँ দুর্গা", "name_mixed_scripts"),
        ("जय#", "cbo_name_characters"),
    ],
)
def test_invalid_cbo_local_names(name: str, code: str) -> None:
    assert codes(cbo(name_local=name)) == {"name_local": code}


@pytest.mark.parametrize("shg_type", ["general", "elderly", "pwd", "pvtg", "other"])
def test_valid_shg_types(shg_type: str) -> None:
    assert cbo("SHG", shg_type=shg_type) == []


@pytest.mark.parametrize("shg_type", ["General", "youth", "PWD"])
def test_invalid_shg_types(shg_type: str) -> None:
    assert codes(cbo("SHG", shg_type=shg_type)) == {"shg_type": "shg_type_invalid"}


@pytest.mark.parametrize("cbo_type", ["VO", "CLF"])
def test_shg_type_is_an_error_on_a_federation(cbo_type: str) -> None:
    (error,) = cbo(cbo_type, shg_type="general")
    assert (error.field, error.code) == ("shg_type", "shg_type_not_allowed")
    assert cbo_type in error.message
    assert cbo(cbo_type, shg_type=None) == []
    assert cbo(cbo_type, shg_type="") == []


@pytest.mark.parametrize(
    "formed", [date(1990, 1, 1), date(2015, 8, 1), TODAY, datetime(2020, 5, 1, 10, 30)]
)
def test_valid_formation_dates(formed: date) -> None:
    assert cbo(formed_on=formed) == []


@pytest.mark.parametrize(
    ("formed", "code"),
    [
        (date(2024, 6, 16), "date_in_future"),
        (date(2099, 1, 1), "date_in_future"),
        (date(1989, 12, 31), "formed_on_too_early"),
        (date(1950, 1, 1), "formed_on_too_early"),
    ],
)
def test_invalid_formation_dates(formed: date, code: str) -> None:
    assert codes(cbo(formed_on=formed)) == {"formed_on": code}


def test_formation_must_not_follow_approval() -> None:
    assert approval_date_errors(None, TODAY) == []
    assert approval_date_errors(date(2015, 8, 1), TODAY) == []
    assert approval_date_errors(TODAY, TODAY) == []
    assert approval_date_errors(datetime(2024, 6, 15, 23, 0), TODAY) == []
    (error,) = approval_date_errors(date(2024, 6, 16), TODAY)
    assert (error.field, error.code) == ("formed_on", "formed_after_approval")
    assert error.message == "Formation date must be on or before the approval date."


# --- languages -----------------------------------------------------------------------------


def test_messages_in_english_by_default() -> None:
    (error,) = member(mobile="12345")
    assert error.message == "Mobile number must have 10 digits and start with 6, 7, 8 or 9."


def test_messages_in_hindi_when_the_request_asks() -> None:
    token = current_language.set("hi")
    try:
        errors = member(
            creating=True,
            mobile="12345",
            aadhaar=bad_aadhaar("23456789012"),
            date_of_birth=date(2015, 1, 1),
        )
        shg = cbo("VO", shg_type="general", formed_on=date(1980, 1, 1))
    finally:
        current_language.reset(token)
    messages = {e.field: e.message for e in errors}
    assert messages == {
        "name": "नाम भरना ज़रूरी है।",
        "date_of_birth": (
            "स्वयं सहायता समूह की सदस्य वयस्क महिलाएँ होती हैं: जन्म तिथि के अनुसार सदस्य की आयु 18 वर्ष से कम है।"
        ),
        "mobile": "मोबाइल नंबर 10 अंकों का होना चाहिए और 6 से 9 से शुरू होना चाहिए।",
        "aadhaar": (
            "यह आधार संख्या सही नहीं है: इसका अंतिम (जाँच) अंक मेल नहीं खाता। "
            "कृपया देखें कि लिखने में कोई गलती तो नहीं हुई।"
        ),
    }
    # Codes do not change with the language.
    assert codes(errors)["aadhaar"] == "aadhaar_checksum"
    assert {e.field: e.message for e in shg} == {
        "shg_type": "समूह का प्रकार केवल स्वयं सहायता समूह (SHG) के लिए है, ग्राम संगठन (VO) के लिए नहीं।",
        "formed_on": "गठन की तिथि 1 जनवरी 1990 से पहले की नहीं हो सकती।",
    }


def test_field_labels_fill_generic_messages_in_hindi() -> None:
    token = current_language.set("hi")
    try:
        (short,) = member(relative_name="R")
        (future,) = member(date_of_birth=date(2030, 1, 1))
    finally:
        current_language.reset(token)
    assert short.message == "संबंधी का नाम कम से कम 2 अक्षरों का होना चाहिए।"
    assert future.message == "जन्म तिथि भविष्य की नहीं हो सकती।"


def test_every_code_has_english_and_hindi_text() -> None:
    assert MESSAGES.codes() == {c.value for c in Code}
    for lang in SUPPORTED_LANGUAGES:
        assert MESSAGES.untranslated(lang) == []
        assert LABELS.untranslated(lang) == []
    for code in Code:
        hindi = MESSAGES.text_in("hi", code, field="x", min=2, max=3, cbo="VO")
        assert any("\u0900" <= ch <= "\u097f" for ch in hindi), code
        assert "{" not in hindi and "{" not in MESSAGES.text_in(
            "en", code, field="x", min=2, max=3, cbo="VO"
        )


def test_every_field_has_a_label() -> None:
    for field in (*VALID_MEMBER, *VALID_SHG):
        assert field in LABELS, field


def test_leaving_comes_with_a_date_and_a_reason() -> None:
    """A member leaves on a day (never in the future) for a reason from the list."""

    def codes(fields: dict[str, object]) -> list[tuple[str, str]]:
        return [(e.field, e.code) for e in member_errors(fields, today=TODAY, creating=False)]

    assert codes({"left_on": date(2024, 6, 1), "leaving_reason": "migration"}) == []
    assert codes({"left_on": date(2024, 6, 1)}) == [("leaving_reason", "leaving_reason_required")]
    assert codes({"leaving_reason": "death"}) == [("left_on", "left_on_required")]
    assert codes({"left_on": date(2024, 7, 1), "leaving_reason": "marriage"}) == [
        ("left_on", "date_in_future")
    ]
    assert codes({"left_on": date(2024, 6, 1), "leaving_reason": "bored"}) == [
        ("leaving_reason", "leaving_reason_invalid")
    ]
