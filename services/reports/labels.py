"""Column headers of the reports in English and Hindi (the seeds' wording in English).

Downloads carry the headers in the caller's language (``Accept-Language``, passed on by the
gateway as call metadata); the columns' order is fixed, whatever the language.
"""

from __future__ import annotations

from lokos import i18n

Column = tuple[str, str]  # (English, Hindi)

PANEL_COLUMNS: tuple[Column, ...] = (
    ("SHG Formed", "गठित एसएचजी"),
    ("SHG Members", "एसएचजी सदस्य"),
    ("SC Members", "अनुसूचित जाति सदस्य"),
    ("ST Members", "अनुसूचित जनजाति सदस्य"),
    ("OBC Members", "अन्य पिछड़ा वर्ग सदस्य"),
    ("General Members", "सामान्य वर्ग सदस्य"),
    ("Other Members", "अन्य सदस्य"),
    ("SHG with bank account", "बैंक खाते वाले एसएचजी"),
    ("SHG without bank account", "बिना बैंक खाते वाले एसएचजी"),
    ("SHG > 3 months without bank account", "3 माह से अधिक बिना बैंक खाते वाले एसएचजी"),
    ("SHG > 6 months without bank account", "6 माह से अधिक बिना बैंक खाते वाले एसएचजी"),
    ("SHG With Transactions", "लेनदेन वाले एसएचजी"),
    ("SHG Without Transactions", "बिना लेनदेन वाले एसएचजी"),
    ("Compulsory Savings", "अनिवार्य बचत"),
    ("Voluntary Savings", "स्वैच्छिक बचत"),
    ("Loan Outstanding", "बकाया ऋण"),
)

DASHBOARD_COLUMNS: tuple[Column, ...] = (("Indicator", "संकेतक"), ("Value", "मान"))

DRILL_COLUMNS: tuple[Column, ...] = (
    ("Level", "स्तर"),
    ("Code", "कोड"),
    ("Name", "नाम"),
)

SHG_COLUMNS: tuple[Column, ...] = (
    ("SHG ID", "एसएचजी आईडी"),
    ("SHG Code", "एसएचजी कोड"),
    ("SHG Name", "एसएचजी का नाम"),
    ("Status", "स्थिति"),
    ("District", "ज़िला"),
    ("Block", "प्रखंड"),
    ("VO", "वीओ"),
    ("CLF", "सीएलएफ"),
    ("Formed On", "गठन तिथि"),
    *PANEL_COLUMNS[1:],
)

CBO_SUMMARY_COLUMNS: tuple[Column, ...] = (
    ("Type of CBO", "सीबीओ का प्रकार"),
    ("No of Bookkeepers", "बुककीपरों की संख्या"),
    ("No of BK Mapped with CBO", "सीबीओ से जुड़े बुककीपर"),
    ("Total CBO Count", "कुल सीबीओ"),
    ("CBO Mapped Count", "जुड़े सीबीओ"),
    ("CBO Mapped %", "जुड़े सीबीओ %"),
    ("CBOs Mapped Migrated", "जुड़े माइग्रेटेड सीबीओ"),
    ("New CBOs Mapped", "जुड़े नए सीबीओ"),
    ("CBOs Approved by BM", "बीएम द्वारा अनुमोदित सीबीओ"),
    ("CBOs rejected by BM", "बीएम द्वारा अस्वीकृत सीबीओ"),
    ("CBOs Pending with BM", "बीएम के पास लंबित सीबीओ"),
    ("Incomplete CBOs", "अपूर्ण सीबीओ"),
    ("CBOs pending with Bookkeeper", "बुककीपर के पास लंबित सीबीओ"),
    ("% Approved (Mapped)", "% अनुमोदित (जुड़े)"),
    ("% Approved (Overall)", "% अनुमोदित (कुल)"),
)

MEETING_SUMMARY_COLUMNS: tuple[Column, ...] = (
    ("Type of CBO", "सीबीओ का प्रकार"),
    ("Meetings Submitted", "प्रस्तुत बैठकें"),
    ("Meetings Approved", "अनुमोदित बैठकें"),
    ("Meetings Rejected", "अस्वीकृत बैठकें"),
    ("Pending with Approver", "अनुमोदक के पास लंबित"),
    ("Pending with Bookkeeper", "बुककीपर के पास लंबित"),
    ("CBOs with Cut-off Done", "कट-ऑफ पूर्ण सीबीओ"),
    ("CBOs Met in Last 30 Days", "पिछले 30 दिनों में बैठक वाले सीबीओ"),
    ("CBOs Met in Last 60 Days", "पिछले 60 दिनों में बैठक वाले सीबीओ"),
    ("CBOs Met in Last 90 Days", "पिछले 90 दिनों में बैठक वाले सीबीओ"),
)

USER_COLUMNS: tuple[Column, ...] = (
    ("Level", "स्तर"),
    ("Role", "भूमिका"),
    ("Active Users", "सक्रिय उपयोगकर्ता"),
    ("Inactive Users", "निष्क्रिय उपयोगकर्ता"),
    ("Mapped with CBO", "सीबीओ से जुड़े"),
    ("Not Mapped", "नहीं जुड़े"),
    ("Logged in Last 30 Days", "पिछले 30 दिनों में लॉगिन"),
    ("Never Logged in", "कभी लॉगिन नहीं"),
    ("Last Login", "अंतिम लॉगिन"),
)


DCB_COLUMNS: tuple[Column, ...] = (
    *DRILL_COLUMNS,
    ("Opening Overdue Principal", "प्रारंभिक अतिदेय मूलधन"),
    ("Opening Overdue Interest", "प्रारंभिक अतिदेय ब्याज"),
    ("Demand Principal", "मांग मूलधन"),
    ("Demand Interest", "मांग ब्याज"),
    ("Collection Principal", "वसूली मूलधन"),
    ("Collection Interest", "वसूली ब्याज"),
    ("Closing Overdue Principal", "अंतिम अतिदेय मूलधन"),
    ("Closing Overdue Interest", "अंतिम अतिदेय ब्याज"),
    ("Closing Outstanding", "अंतिम बकाया"),
    ("Repayment Rate %", "पुनर्भुगतान दर %"),
)

AGEING_COLUMNS: tuple[Column, ...] = (
    ("Days Overdue", "अतिदेय दिन"),
    ("No Of Loans", "ऋणों की संख्या"),
    ("Principal Outstanding", "बकाया मूलधन"),
    ("Principal Overdue", "अतिदेय मूलधन"),
    ("Interest Overdue", "अतिदेय ब्याज"),
)

PAR_COLUMNS: tuple[Column, ...] = (
    ("Portfolio", "पोर्टफोलियो"),
    ("No Of Loans", "ऋणों की संख्या"),
    ("Principal Outstanding", "बकाया मूलधन"),
    ("Principal Overdue", "अतिदेय मूलधन"),
    ("Interest Overdue", "अतिदेय ब्याज"),
    ("PAR %", "जोखिम में पोर्टफोलियो %"),
    ("PAR > 30 Days %", "30 दिन से अधिक जोखिम %"),
    ("PAR > 90 Days %", "90 दिन से अधिक जोखिम %"),
)

BOOKKEEPER_COLUMNS: tuple[Column, ...] = (
    ("User ID", "उपयोगकर्ता आईडी"),
    ("Role", "भूमिका"),
    ("SHGs Mapped", "जुड़े एसएचजी"),
    ("VOs Mapped", "जुड़े वीओ"),
    ("CLFs Mapped", "जुड़े सीएलएफ"),
    ("Meetings Entered", "दर्ज बैठकें"),
    ("Meetings Approved", "अनुमोदित बैठकें"),
    ("Meetings Rejected", "अस्वीकृत बैठकें"),
    ("Cut-offs Done", "पूर्ण कट-ऑफ"),
    ("Eligible Honorarium", "पात्र मानदेय"),
)


def header(columns: tuple[Column, ...]) -> list[str]:
    hindi = i18n.language() == "hi"
    return [hi if hindi else en for en, hi in columns]
