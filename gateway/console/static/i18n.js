// English and Hindi text of the console; the choice is kept in localStorage.
const TEXT = {
  en: {
    dashboard: "Dashboard", mytask: "My Task", tickets: "Tickets", search: "Request search",
    signout: "Sign out", signin: "Sign in to the LokOS console",
    signin_national: "National staff and help desk", signin_state: "State staff",
    shgs_formed: "SHGs formed", by_unit: "SHGs by", drill: "Drill down", state: "State",
    district: "District", block: "Block", clf: "CLF", shg_list: "SHGs of the block",
    panel_info: "SHGs information", panel_bank: "SHGs bank status", panel_txn: "SHGs transaction status",
    members: "SHG Members", sc_members: "SC Members", st_members: "ST Members", obc_members: "OBC Members",
    general_members: "General Members", other_members: "Other Members",
    with_bank_account: "SHG with bank account", without_bank_account: "SHG without bank account",
    without_bank_account_3_months: "SHG > 3 months without bank account",
    without_bank_account_6_months: "SHG > 6 months without bank account",
    with_transactions: "SHG With Transactions", without_transactions: "SHG Without Transactions",
    compulsory_savings: "Compulsory Savings", voluntary_savings: "Voluntary Savings",
    loan_outstanding: "Loan Outstanding", as_of: "Figures as of", pending_events: "Updates still to apply",
    downloads: "Downloads", report_dashboard: "Dashboard", report_drilldown: "Drill-down",
    report_shgs: "SHG list", no_clf: "Not in a CLF", no_shgs: "No SHGs here yet.",
    page_size: "SHGs per page", showing: "SHGs", pages: "Pages", previous: "Previous page", next: "Next page",
    bank_account: "Bank account", yes: "Yes", no: "No", breadcrumb: "Breadcrumb",
    name: "Name", code: "Code", count: "SHGs", pending: "Pending verifications",
    duplication: "Duplicate flag", maker: "Maker", submitted: "Submitted", actions: "Actions",
    approve: "Approve", reject: "Reject", approved: "Approved", rejected: "Rejected",
    remarks: "Remark code", verified: "Identifiers verified", none_pending: "Nothing is waiting for you.",
    raise: "Raise a ticket", title: "Title", description: "Description", category: "Category",
    severity: "Severity", status: "Status", all: "All", ticket: "Ticket", assignee: "Assignee",
    due: "Due", breached: "SLA breached", within_sla: "Within SLA", history: "History",
    comment: "Comment", assign_me: "Assign to me", escalate: "Escalate", resolve: "Resolve",
    reopen: "Reopen", text: "Text", request_id: "Request id", submission_ref: "Submission reference",
    user_id: "User ID", cbo_code: "CBO code", since: "From", until: "To", find: "Find",
    no_results: "No requests found.", started: "Started", duration: "Duration (ms)",
    hops: "Hops", timeline: "Timeline", service: "Service", failed: "Failed", ok: "OK",
    linked_tickets: "Tickets citing this request", references: "References", save: "Save",
    scroll_table: "Table (scrolls sideways)", report: "Download report (CSV)", language: "Language", loading: "Loading…", error: "Something went wrong",
  },
  hi: {
    dashboard: "डैशबोर्ड", mytask: "मेरा कार्य", tickets: "टिकट", search: "अनुरोध खोज",
    signout: "बाहर निकलें", signin: "लोकओएस कंसोल में प्रवेश करें",
    signin_national: "राष्ट्रीय कर्मचारी और हेल्प डेस्क", signin_state: "राज्य कर्मचारी",
    shgs_formed: "गठित एसएचजी", by_unit: "एसएचजी —", drill: "विस्तार से देखें", state: "राज्य",
    district: "ज़िला", block: "प्रखंड", clf: "सीएलएफ", shg_list: "प्रखंड के एसएचजी",
    panel_info: "एसएचजी जानकारी", panel_bank: "एसएचजी बैंक स्थिति", panel_txn: "एसएचजी लेनदेन स्थिति",
    members: "एसएचजी सदस्य", sc_members: "अनुसूचित जाति सदस्य", st_members: "अनुसूचित जनजाति सदस्य",
    obc_members: "अन्य पिछड़ा वर्ग सदस्य", general_members: "सामान्य वर्ग सदस्य", other_members: "अन्य सदस्य",
    with_bank_account: "बैंक खाते वाले एसएचजी", without_bank_account: "बिना बैंक खाते वाले एसएचजी",
    without_bank_account_3_months: "3 माह से अधिक बिना बैंक खाते वाले एसएचजी",
    without_bank_account_6_months: "6 माह से अधिक बिना बैंक खाते वाले एसएचजी",
    with_transactions: "लेनदेन वाले एसएचजी", without_transactions: "बिना लेनदेन वाले एसएचजी",
    compulsory_savings: "अनिवार्य बचत", voluntary_savings: "स्वैच्छिक बचत", loan_outstanding: "बकाया ऋण",
    as_of: "आँकड़े इस समय तक", pending_events: "बाकी अद्यतन",
    downloads: "डाउनलोड", report_dashboard: "डैशबोर्ड", report_drilldown: "विस्तृत तालिका",
    report_shgs: "एसएचजी सूची", no_clf: "किसी सीएलएफ में नहीं", no_shgs: "यहाँ अभी कोई एसएचजी नहीं है।",
    page_size: "प्रति पृष्ठ एसएचजी", showing: "एसएचजी", pages: "पृष्ठ", previous: "पिछला पृष्ठ", next: "अगला पृष्ठ",
    bank_account: "बैंक खाता", yes: "हाँ", no: "नहीं", breadcrumb: "मार्ग",
    name: "नाम", code: "कोड", count: "एसएचजी", pending: "लंबित सत्यापन",
    duplication: "दोहराव संकेत", maker: "निर्माता", submitted: "जमा किया", actions: "कार्रवाई",
    approve: "स्वीकृत करें", reject: "अस्वीकार करें", approved: "स्वीकृत", rejected: "अस्वीकृत",
    remarks: "टिप्पणी कोड", verified: "पहचान सत्यापित", none_pending: "आपके लिए कुछ लंबित नहीं है।",
    raise: "टिकट दर्ज करें", title: "शीर्षक", description: "विवरण", category: "श्रेणी",
    severity: "गंभीरता", status: "स्थिति", all: "सभी", ticket: "टिकट", assignee: "सौंपा गया",
    due: "नियत समय", breached: "एसएलए का उल्लंघन", within_sla: "एसएलए के भीतर", history: "इतिहास",
    comment: "टिप्पणी", assign_me: "मुझे सौंपें", escalate: "आगे बढ़ाएँ", resolve: "हल करें",
    reopen: "फिर से खोलें", text: "पाठ", request_id: "अनुरोध आईडी", submission_ref: "जमा संदर्भ",
    user_id: "उपयोगकर्ता आईडी", cbo_code: "सीबीओ कोड", since: "से", until: "तक", find: "खोजें",
    no_results: "कोई अनुरोध नहीं मिला।", started: "शुरू", duration: "अवधि (मि.से.)",
    hops: "चरण", timeline: "समय-रेखा", service: "सेवा", failed: "विफल", ok: "ठीक",
    linked_tickets: "इस अनुरोध वाले टिकट", references: "संदर्भ", save: "सहेजें",
    scroll_table: "तालिका (बगल में खिसकती है)", report: "रिपोर्ट डाउनलोड करें (CSV)", language: "भाषा", loading: "लोड हो रहा है…", error: "कुछ गलत हो गया",
  },
};

export function lang() {
  return localStorage.getItem("lokos.lang") === "hi" ? "hi" : "en";
}

export function setLang(code) {
  localStorage.setItem("lokos.lang", code);
  document.documentElement.lang = code;
}

export function t(key) {
  return TEXT[lang()][key] ?? TEXT.en[key] ?? key;
}
