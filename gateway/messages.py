"""Texts of the problems the gateway itself answers (input it cannot read, paths it does not
have), in English and Hindi like the services' (``Accept-Language``).

Validation codes are pydantic's error types, so clients branch on the same codes whatever
the language; a type without a text here keeps pydantic's English message.
"""

from __future__ import annotations

from lokos.i18n import Catalog

MESSAGES = Catalog(
    {
        "validation_failed": {
            "en": "Invalid input: {fields}",
            "hi": "गलत जानकारी: {fields}",
        },
        "json_invalid": {
            "en": "The body is not valid JSON.",
            "hi": "भेजी गई सामग्री सही JSON नहीं है।",
        },
        "missing": {"en": "Field required.", "hi": "यह भरना ज़रूरी है।"},
        "extra_forbidden": {
            "en": "This field is not accepted.",
            "hi": "यह फ़ील्ड स्वीकार नहीं है।",
        },
        "model_attributes_type": {
            "en": "Must be a JSON object.",
            "hi": "JSON ऑब्जेक्ट होना चाहिए।",
        },
        "dict_type": {"en": "Must be a JSON object.", "hi": "JSON ऑब्जेक्ट होना चाहिए।"},
        "list_type": {"en": "Must be a list.", "hi": "सूची होनी चाहिए।"},
        "string_type": {"en": "Must be text.", "hi": "पाठ होना चाहिए।"},
        "string_too_short": {
            "en": "Must be at least {min_length} characters long.",
            "hi": "कम से कम {min_length} अक्षरों का होना चाहिए।",
        },
        "string_too_long": {
            "en": "Must be at most {max_length} characters long.",
            "hi": "अधिकतम {max_length} अक्षरों का हो सकता है।",
        },
        "string_pattern_mismatch": {
            "en": "Is not in the expected format.",
            "hi": "अपेक्षित प्रारूप में नहीं है।",
        },
        "control_characters": {
            "en": "Must not contain control characters (such as NUL).",
            "hi": "इसमें नियंत्रण वर्ण नहीं हो सकते।",
        },
        "too_short": {
            "en": "Must have at least {min_length} items.",
            "hi": "कम से कम {min_length} प्रविष्टियाँ होनी चाहिए।",
        },
        "too_long": {
            "en": "Must have at most {max_length} items.",
            "hi": "अधिकतम {max_length} प्रविष्टियाँ हो सकती हैं।",
        },
        "int_type": {"en": "Must be a whole number.", "hi": "पूर्ण संख्या होनी चाहिए।"},
        "int_parsing": {"en": "Must be a whole number.", "hi": "पूर्ण संख्या होनी चाहिए।"},
        "int_from_float": {"en": "Must be a whole number.", "hi": "पूर्ण संख्या होनी चाहिए।"},
        "float_type": {"en": "Must be a number.", "hi": "संख्या होनी चाहिए।"},
        "float_parsing": {"en": "Must be a number.", "hi": "संख्या होनी चाहिए।"},
        "bool_type": {"en": "Must be true or false.", "hi": "true या false होना चाहिए।"},
        "bool_parsing": {"en": "Must be true or false.", "hi": "true या false होना चाहिए।"},
        "greater_than": {"en": "Must be more than {gt}.", "hi": "{gt} से अधिक होना चाहिए।"},
        "greater_than_equal": {
            "en": "Must be at least {ge}.",
            "hi": "कम से कम {ge} होना चाहिए।",
        },
        "less_than": {"en": "Must be less than {lt}.", "hi": "{lt} से कम होना चाहिए।"},
        "less_than_equal": {
            "en": "Must be at most {le}.",
            "hi": "अधिकतम {le} हो सकता है।",
        },
        "literal_error": {
            "en": "Must be one of {expected}.",
            "hi": "इनमें से एक होना चाहिए: {expected}।",
        },
        "enum": {"en": "Must be one of {expected}.", "hi": "इनमें से एक होना चाहिए: {expected}।"},
        "uuid_parsing": {"en": "Must be a UUID.", "hi": "UUID होना चाहिए।"},
        "uuid_type": {"en": "Must be a UUID.", "hi": "UUID होना चाहिए।"},
        "date_parsing": {
            "en": "Must be a date (YYYY-MM-DD).",
            "hi": "तारीख (YYYY-MM-DD) होनी चाहिए।",
        },
        "date_from_datetime_parsing": {
            "en": "Must be a date (YYYY-MM-DD).",
            "hi": "तारीख (YYYY-MM-DD) होनी चाहिए।",
        },
        "datetime_parsing": {
            "en": "Must be a date and time (ISO 8601).",
            "hi": "तारीख और समय (ISO 8601) होना चाहिए।",
        },
        "datetime_from_date_parsing": {
            "en": "Must be a date and time (ISO 8601).",
            "hi": "तारीख और समय (ISO 8601) होना चाहिए।",
        },
        "http_404": {
            "en": "No such path or record.",
            "hi": "ऐसा कोई पथ या रिकॉर्ड नहीं है।",
        },
        "http_405": {
            "en": "This method is not allowed here.",
            "hi": "यहाँ यह तरीका अनुमत नहीं है।",
        },
    }
)
