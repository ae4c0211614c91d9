"""The profiles catalogue: validation messages and field labels in English and Hindi.

Codes (:class:`Code`) are the stable contract clients branch on; texts may be reworded. A
message names its field with ``{field}``, filled with the field's label in the same language;
Hindi texts keep the label in the direct case (no postposition right after it), so that labels
like "संबंधी का नाम" need no oblique form.
Messages never repeat the value that was typed: it may be an Aadhaar or a bank number.
"""

from __future__ import annotations

from enum import StrEnum

from lokos.i18n import Catalog


class Code(StrEnum):
    """Validation error codes of member and SHG/VO/CLF profiles."""

    REQUIRED = "required"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    WRONG_TYPE = "wrong_type"
    NAME_DIGITS = "name_digits"
    NAME_CHARACTERS = "name_characters"
    NAME_MIXED_SCRIPTS = "name_mixed_scripts"
    NAME_LOCAL_SCRIPT = "name_local_script"
    CBO_NAME_CHARACTERS = "cbo_name_characters"
    DATE_IN_FUTURE = "date_in_future"
    MEMBER_TOO_YOUNG = "member_too_young"
    MEMBER_TOO_OLD = "member_too_old"
    GENDER_INVALID = "gender_invalid"
    SOCIAL_CATEGORY_INVALID = "social_category_invalid"
    RELATION_INVALID = "relation_invalid"
    HOUSEHOLD_CODE_FORMAT = "household_code_format"
    MOBILE_INVALID = "mobile_invalid"
    BANK_ACCOUNT_INVALID = "bank_account_invalid"
    BANK_ACCOUNT_REQUIRED = "bank_account_required"
    IFSC_INVALID = "ifsc_invalid"
    IFSC_REQUIRED = "ifsc_required"
    VOTER_ID_INVALID = "voter_id_invalid"
    AADHAAR_FORMAT = "aadhaar_format"
    AADHAAR_CHECKSUM = "aadhaar_checksum"
    SHG_TYPE_INVALID = "shg_type_invalid"
    SHG_TYPE_NOT_ALLOWED = "shg_type_not_allowed"
    FORMED_ON_TOO_EARLY = "formed_on_too_early"
    FORMED_AFTER_APPROVAL = "formed_after_approval"
    LEAVING_REASON_INVALID = "leaving_reason_invalid"
    LEAVING_REASON_REQUIRED = "leaving_reason_required"
    LEFT_ON_REQUIRED = "left_on_required"


MESSAGES = Catalog(
    {
        Code.REQUIRED: {
            "en": "{field} is required.",
            "hi": "{field} भरना ज़रूरी है।",
        },
        Code.TOO_SHORT: {
            "en": "{field} must be at least {min} characters long.",
            "hi": "{field} कम से कम {min} अक्षरों का होना चाहिए।",
        },
        Code.TOO_LONG: {
            "en": "{field} can be at most {max} characters long.",
            "hi": "{field} अधिकतम {max} अक्षरों का हो सकता है।",
        },
        Code.WRONG_TYPE: {
            "en": "{field} has a value of the wrong kind.",
            "hi": "{field}: दिया गया मान सही प्रकार का नहीं है।",
        },
        Code.NAME_DIGITS: {
            "en": "{field} must not contain digits.",
            "hi": "{field}: इसमें अंक नहीं होने चाहिए।",
        },
        Code.NAME_CHARACTERS: {
            "en": (
                "{field} may contain only letters, spaces, dots (.), apostrophes (') "
                "and hyphens (-)."
            ),
            "hi": (
                "{field}: इसमें केवल अक्षर, खाली जगह, बिंदु (.), ऐपॉस्ट्रॉफ़ी (') और हाइफ़न (-) हो सकते हैं।"
            ),
        },
        Code.NAME_MIXED_SCRIPTS: {
            "en": (
                "{field} must be written in one script only, for example only English letters "
                "or only Devanagari."
            ),
            "hi": "{field} एक ही लिपि में लिखें, जैसे केवल अंग्रेज़ी अक्षरों में या केवल देवनागरी में।",
        },
        Code.NAME_LOCAL_SCRIPT: {
            "en": (
                "{field} must be written in an Indian script such as Devanagari, Bengali or "
                "Tamil, not in English letters."
            ),
            "hi": (
                "{field} किसी भारतीय लिपि (जैसे देवनागरी, बांग्ला या तमिल) में लिखें, अंग्रेज़ी अक्षरों में नहीं।"
            ),
        },
        Code.CBO_NAME_CHARACTERS: {
            "en": (
                "{field} must have letters, and besides them only digits, spaces and the signs "
                ". ' & ( ) -"
            ),
            "hi": (
                "{field}: इसमें अक्षर होने चाहिए, और उनके अलावा केवल अंक, खाली जगह और "
                ". ' & ( ) - चिह्न हो सकते हैं।"
            ),
        },
        Code.DATE_IN_FUTURE: {
            "en": "{field} cannot be in the future.",
            "hi": "{field} भविष्य की नहीं हो सकती।",
        },
        Code.MEMBER_TOO_YOUNG: {
            "en": (
                "SHG members are adult women: by the date of birth the member is under "
                "18 years old."
            ),
            "hi": (
                "स्वयं सहायता समूह की सदस्य वयस्क महिलाएँ होती हैं: जन्म तिथि के अनुसार "
                "सदस्य की आयु 18 वर्ष से कम है।"
            ),
        },
        Code.MEMBER_TOO_OLD: {
            "en": (
                "SHG members are adult women aged 18 to 100: by the date of birth the member "
                "is over 100 years old. Please check the date."
            ),
            "hi": (
                "स्वयं सहायता समूह की सदस्य 18 से 100 वर्ष की वयस्क महिलाएँ होती हैं: जन्म "
                "तिथि के अनुसार सदस्य की आयु 100 वर्ष से अधिक है। कृपया तिथि जाँच लें।"
            ),
        },
        Code.GENDER_INVALID: {
            "en": "Gender must be F (female), M (male) or T (transgender).",
            "hi": "लिंग F (महिला), M (पुरुष) या T (ट्रांसजेंडर) होना चाहिए।",
        },
        Code.SOCIAL_CATEGORY_INVALID: {
            "en": "Social category must be SC, ST, OBC, GEN (general) or OTH (other).",
            "hi": "सामाजिक वर्ग SC, ST, OBC, GEN (सामान्य) या OTH (अन्य) में से एक होना चाहिए।",
        },
        Code.RELATION_INVALID: {
            "en": (
                "Relation must be HUSBAND, FATHER, MOTHER, SON, DAUGHTER, BROTHER, SISTER or OTHER."
            ),
            "hi": (
                "संबंध HUSBAND (पति), FATHER (पिता), MOTHER (माता), SON (पुत्र), "
                "DAUGHTER (पुत्री), BROTHER (भाई), SISTER (बहन) या OTHER (अन्य) में से एक "
                "होना चाहिए।"
            ),
        },
        Code.HOUSEHOLD_CODE_FORMAT: {
            "en": "Household code may contain only English letters, digits, '-' and '/'.",
            "hi": "परिवार कोड में केवल अंग्रेज़ी अक्षर, अंक, '-' और '/' हो सकते हैं।",
        },
        Code.MOBILE_INVALID: {
            "en": "Mobile number must have 10 digits and start with 6, 7, 8 or 9.",
            "hi": "मोबाइल नंबर 10 अंकों का होना चाहिए और 6 से 9 से शुरू होना चाहिए।",
        },
        Code.BANK_ACCOUNT_INVALID: {
            "en": "Bank account number must have 9 to 18 digits.",
            "hi": "बैंक खाता संख्या 9 से 18 अंकों की होनी चाहिए।",
        },
        Code.BANK_ACCOUNT_REQUIRED: {
            "en": "Bank account number is required when an IFSC is given.",
            "hi": "IFSC कोड देने पर बैंक खाता संख्या भी देनी ज़रूरी है।",
        },
        Code.IFSC_INVALID: {
            "en": (
                "IFSC must have 11 characters: 4 letters, then 0, then 6 letters or digits "
                "(for example SBIN0001234)."
            ),
            "hi": (
                "IFSC कोड 11 अक्षरों का होना चाहिए: पहले 4 अंग्रेज़ी अक्षर, फिर 0, फिर 6 "
                "अक्षर या अंक (जैसे SBIN0001234)।"
            ),
        },
        Code.IFSC_REQUIRED: {
            "en": "IFSC is required when a bank account number is given.",
            "hi": "बैंक खाता संख्या देने पर IFSC कोड भी देना ज़रूरी है।",
        },
        Code.VOTER_ID_INVALID: {
            "en": (
                "Voter ID (EPIC) number must be 3 letters followed by 7 digits, "
                "for example ABC1234567."
            ),
            "hi": (
                "मतदाता पहचान पत्र (EPIC) संख्या में 3 अंग्रेज़ी अक्षर और उसके बाद 7 अंक "
                "होने चाहिए, जैसे ABC1234567।"
            ),
        },
        Code.AADHAAR_FORMAT: {
            "en": "Aadhaar number must have 12 digits and cannot start with 0 or 1.",
            "hi": "आधार संख्या 12 अंकों की होनी चाहिए और 0 या 1 से शुरू नहीं हो सकती।",
        },
        Code.AADHAAR_CHECKSUM: {
            "en": (
                "This is not a valid Aadhaar number: its last (check) digit does not match. "
                "Please look for a typing mistake."
            ),
            "hi": (
                "यह आधार संख्या सही नहीं है: इसका अंतिम (जाँच) अंक मेल नहीं खाता। "
                "कृपया देखें कि लिखने में कोई गलती तो नहीं हुई।"
            ),
        },
        Code.SHG_TYPE_INVALID: {
            "en": (
                "SHG type must be general, elderly, pwd (persons with disabilities), "
                "pvtg (particularly vulnerable tribal group) or other."
            ),
            "hi": (
                "समूह का प्रकार general (सामान्य), elderly (बुज़ुर्ग), pwd (दिव्यांगजन), "
                "pvtg (विशेष रूप से कमज़ोर जनजातीय समूह) या other (अन्य) में से एक होना चाहिए।"
            ),
        },
        Code.SHG_TYPE_NOT_ALLOWED: {
            "en": "SHG type applies only to SHGs, not to a {cbo}.",
            "hi": "समूह का प्रकार केवल स्वयं सहायता समूह (SHG) के लिए है, {cbo} के लिए नहीं।",
        },
        Code.FORMED_ON_TOO_EARLY: {
            "en": "Formation date cannot be before 1 January 1990.",
            "hi": "गठन की तिथि 1 जनवरी 1990 से पहले की नहीं हो सकती।",
        },
        Code.FORMED_AFTER_APPROVAL: {
            "en": "Formation date must be on or before the approval date.",
            "hi": "गठन की तिथि अनुमोदन की तिथि के दिन या उससे पहले की होनी चाहिए।",
        },
        Code.LEAVING_REASON_INVALID: {
            "en": "{field} must be death, migration, marriage, voluntary or other.",
            "hi": "{field}: मृत्यु, पलायन, विवाह, स्वेच्छा या अन्य में से एक चुनें।",
        },
        Code.LEAVING_REASON_REQUIRED: {
            "en": "{field} is required with the leaving date.",
            "hi": "{field}: छोड़ने की तिथि के साथ यह भरना ज़रूरी है।",
        },
        Code.LEFT_ON_REQUIRED: {
            "en": "{field} is required with the leaving reason.",
            "hi": "{field}: छोड़ने के कारण के साथ यह भरना ज़रूरी है।",
        },
    }
)

# Labels of the input fields, and of the CBO types, as ``{field}`` and ``{cbo}`` in messages.
LABELS = Catalog(
    {
        "name": {"en": "Name", "hi": "नाम"},
        "name_local": {"en": "Name in the local language", "hi": "स्थानीय भाषा में नाम"},
        "gender": {"en": "Gender", "hi": "लिंग"},
        "date_of_birth": {"en": "Date of birth", "hi": "जन्म तिथि"},
        "social_category": {"en": "Social category", "hi": "सामाजिक वर्ग"},
        "relative_name": {"en": "Relative's name", "hi": "संबंधी का नाम"},
        "relation": {"en": "Relation", "hi": "संबंध"},
        "household_code": {"en": "Household code", "hi": "परिवार कोड"},
        "left_on": {"en": "Leaving date", "hi": "समूह छोड़ने की तिथि"},
        "leaving_reason": {"en": "Leaving reason", "hi": "समूह छोड़ने का कारण"},
        "mobile": {"en": "Mobile number", "hi": "मोबाइल नंबर"},
        "bank_account": {"en": "Bank account number", "hi": "बैंक खाता संख्या"},
        "ifsc": {"en": "IFSC", "hi": "IFSC कोड"},
        "voter_id": {"en": "Voter ID number", "hi": "मतदाता पहचान पत्र संख्या"},
        "aadhaar": {"en": "Aadhaar number", "hi": "आधार संख्या"},
        "shg_type": {"en": "SHG type", "hi": "समूह का प्रकार"},
        "formed_on": {"en": "Formation date", "hi": "गठन की तिथि"},
        "SHG": {"en": "Self-Help Group (SHG)", "hi": "स्वयं सहायता समूह (SHG)"},
        "VO": {"en": "Village Organisation (VO)", "hi": "ग्राम संगठन (VO)"},
        "CLF": {"en": "Cluster Level Federation (CLF)", "hi": "क्लस्टर स्तरीय संघ (CLF)"},
    }
)
