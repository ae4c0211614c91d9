"""The masters (drop-down values) as data: each item a stable code with an English and a
Hindi label.

Codes are what records store and clients send; labels are for people, in either language
(DOMAIN.md: "Labels, messages and drop-down values come in English and a regional language").
Changing a label is safe; retiring a code is not (old records carry it), so add, never renumber.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    code: str
    label_en: str
    label_hi: str


def _items(*rows: tuple[str, str, str]) -> tuple[Item, ...]:
    return tuple(Item(code, en, hi) for code, en, hi in rows)


SOCIAL_CATEGORY = _items(
    ("SC", "Scheduled Caste", "अनुसूचित जाति"),
    ("ST", "Scheduled Tribe", "अनुसूचित जनजाति"),
    ("OBC", "Other Backward Class", "अन्य पिछड़ा वर्ग"),
    ("GEN", "General", "सामान्य"),
    ("OTH", "Other", "अन्य"),
)

RELATION = _items(
    ("HUSBAND", "Husband", "पति"),
    ("FATHER", "Father", "पिता"),
    ("MOTHER", "Mother", "माता"),
    ("SON", "Son", "पुत्र"),
    ("DAUGHTER", "Daughter", "पुत्री"),
    ("BROTHER", "Brother", "भाई"),
    ("SISTER", "Sister", "बहन"),
    ("OTHER", "Other", "अन्य"),
)

GENDER = _items(
    ("F", "Female", "महिला"),
    ("M", "Male", "पुरुष"),
    ("T", "Transgender", "ट्रांसजेंडर"),
)

# The SHG type decides the member limits (ShgTypeRule).
SHG_TYPE = _items(
    ("general", "General", "सामान्य"),
    ("elderly", "Elderly", "वृद्धजन"),
    ("pwd", "Persons with disability (PwD)", "दिव्यांगजन"),
    ("pvtg", "Particularly vulnerable tribal group (PVTG)", "विशेष रूप से कमज़ोर जनजातीय समूह"),
    ("other", "Other", "अन्य"),
)

# Chosen by the checker when a profile or one of its identifiers is rejected.
REJECTION_REMARK = _items(
    ("R01", "Name does not match the ID", "नाम पहचान पत्र से मेल नहीं खाता"),
    ("R02", "Aadhaar e-KYC failed", "आधार ई-केवाईसी विफल"),
    ("R03", "Bank account details wrong", "बैंक खाते का विवरण गलत है"),
    ("R04", "Voter ID not legible/invalid", "मतदाता पहचान पत्र अस्पष्ट/अमान्य है"),
    ("R05", "Mobile number not reachable/wrong", "मोबाइल नंबर पहुँच से बाहर/गलत है"),
    ("R06", "Member is in another SHG", "सदस्य किसी अन्य स्वयं सहायता समूह में है"),
    ("R07", "Duplicate record", "दोहरा रिकॉर्ड"),
    ("R08", "Photograph/document missing", "फ़ोटो/दस्तावेज़ उपलब्ध नहीं"),
    ("R09", "Formation date wrong", "गठन की तिथि गलत है"),
    ("R10", "Other", "अन्य"),
)

# Banks by the first four letters of their IFSC (the bank code of RBI's IFSC scheme).
BANK = _items(
    ("SBIN", "State Bank of India", "भारतीय स्टेट बैंक"),
    ("PUNB", "Punjab National Bank", "पंजाब नैशनल बैंक"),
    ("BARB", "Bank of Baroda", "बैंक ऑफ़ बड़ौदा"),
    ("CNRB", "Canara Bank", "केनरा बैंक"),
    ("UBIN", "Union Bank of India", "यूनियन बैंक ऑफ़ इंडिया"),
    ("BKID", "Bank of India", "बैंक ऑफ़ इंडिया"),
    ("IOBA", "Indian Overseas Bank", "इंडियन ओवरसीज़ बैंक"),
    ("UCBA", "UCO Bank", "यूको बैंक"),
    ("CBIN", "Central Bank of India", "सेंट्रल बैंक ऑफ़ इंडिया"),
    ("IDIB", "Indian Bank", "इंडियन बैंक"),
    ("MAHB", "Bank of Maharashtra", "बैंक ऑफ़ महाराष्ट्र"),
    ("PSIB", "Punjab & Sind Bank", "पंजाब एंड सिंध बैंक"),
    ("IPOS", "India Post Payments Bank", "इंडिया पोस्ट पेमेंट्स बैंक"),
    ("KVGB", "Karnataka Vikas Grameena Bank", "कर्नाटक विकास ग्रामीण बैंक"),
    ("APGB", "Andhra Pragathi Grameena Bank", "आंध्र प्रगति ग्रामीण बैंक"),
    ("KLGB", "Kerala Gramin Bank", "केरल ग्रामीण बैंक"),
    ("PKGB", "Pragathi Krishna Gramin Bank", "प्रगति कृष्णा ग्रामीण बैंक"),
    ("TNSC", "Tamil Nadu State Apex Co-operative Bank", "तमिलनाडु राज्य शीर्ष सहकारी बैंक"),
    ("SRCB", "Saraswat Co-operative Bank", "सारस्वत सहकारी बैंक"),
)

# Community cadres and project staff a user or CBO record may name.
DESIGNATION = _items(
    ("CRP", "Community Resource Person (CRP)", "सामुदायिक संसाधन व्यक्ति (सीआरपी)"),
    ("COMMUNITY_MOBILISER", "Community Mobiliser", "सामुदायिक प्रेरक"),
    ("SAMOOH_SAKHI", "Samooh Sakhi", "समूह सखी"),
    ("ACCOUNTANT", "Accountant", "लेखाकार"),
    ("BOOKKEEPER", "Bookkeeper", "बुककीपर"),
    ("BANK_SAKHI", "Bank Sakhi", "बैंक सखी"),
    ("KRISHI_SAKHI", "Krishi Sakhi", "कृषि सखी"),
    ("PASHU_SAKHI", "Pashu Sakhi", "पशु सखी"),
    ("CLUSTER_COORDINATOR", "Cluster Coordinator", "क्लस्टर समन्वयक"),
    ("BLOCK_MISSION_MANAGER", "Block Mission Manager", "ब्लॉक मिशन प्रबंधक"),
    ("DISTRICT_MISSION_MANAGER", "District Mission Manager", "ज़िला मिशन प्रबंधक"),
)

# The identifiers a checker verifies one by one.
IDENTIFIER = _items(
    ("mobile", "Mobile number", "मोबाइल नंबर"),
    ("bank_account", "Bank account", "बैंक खाता"),
    ("voter_id", "Voter ID", "मतदाता पहचान पत्र"),
    ("aadhaar", "Aadhaar", "आधार"),
)

MASTERS: dict[str, tuple[Item, ...]] = {
    "social_category": SOCIAL_CATEGORY,
    "relation": RELATION,
    "gender": GENDER,
    "shg_type": SHG_TYPE,
    "rejection_remark": REJECTION_REMARK,
    "bank": BANK,
    "designation": DESIGNATION,
    "identifier": IDENTIFIER,
}

_BY_CODE: dict[str, dict[str, Item]] = {
    name: {item.code: item for item in items} for name, items in MASTERS.items()
}


def names() -> tuple[str, ...]:
    return tuple(MASTERS)


def items(master: str) -> tuple[Item, ...]:
    """The items of ``master`` in display order; KeyError for an unknown master."""
    return MASTERS[master]


def is_code(master: str, code: str) -> bool:
    """True when ``code`` is an item of ``master`` (False for an unknown master too)."""
    return code in _BY_CODE.get(master, {})


def label(master: str, code: str, lang: str = "en") -> str:
    """The label of ``code`` in ``lang``: "hi" (or "local") for Hindi, English otherwise.

    An unknown master or code gives the code itself, so a record carrying a code that has
    since left a master still displays.
    """
    item = _BY_CODE.get(master, {}).get(code)
    if item is None:
        return code
    return item.label_hi if lang in ("hi", "local") else item.label_en
