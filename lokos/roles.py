"""Role groups that more than one service checks against (see :mod:`lokos.catalogue`).

Makers: bookkeepers for the CBOs mapped to them, and block staff for CBOs in their block.
Checkers: the Block Program Manager of the record's block. Readers: staff whose scope reaches
a record, and community users for their mapped CBOs.
"""

BOOKKEEPERS = frozenset({"SHG_BOOKKEEPER", "VO_BOOKKEEPER", "CLF_BOOKKEEPER"})
STAFF_MAKERS = frozenset({"STATE_ADMIN", "DISTRICT_ADMIN", "BLOCK_ADMIN", "BLOCK_MIS"})
MAKERS = BOOKKEEPERS | STAFF_MAKERS
CHECKERS = frozenset({"BLOCK_PROGRAM_MANAGER"})
STAFF_READERS = frozenset(
    {
        "NATIONAL_ADMIN",
        "NATIONAL_PROGRAM_MANAGER",
        "NATIONAL_THEMATIC",
        "STATE_ADMIN",
        "STATE_PROGRAM_MANAGER",
        "STATE_THEMATIC",
        "DISTRICT_ADMIN",
        "DISTRICT_PROGRAM_MANAGER",
        "DISTRICT_THEMATIC",
        "BLOCK_ADMIN",
        "BLOCK_PROGRAM_MANAGER",
        "BLOCK_THEMATIC",
        "BLOCK_MIS",
    }
)
COMMUNITY_READERS = BOOKKEEPERS | {
    "SHG_MEETING_TRANSACTION_APPROVER",
    "VO_MEETING_TRANSACTION_APPROVER",
    "SHG_TRANSACTION_APPROVER",
}
READERS = STAFF_READERS | COMMUNITY_READERS
# Who may register a brand-new CBO in a block (bookkeepers are mapped to CBOs that exist).
CBO_CREATORS = STAFF_MAKERS
# Who may run "Refresh Duplicate" for a block: its checker and the staff who upload.
DUPLICATE_REFRESHERS = CHECKERS | STAFF_MAKERS
# The national help desk: agents work tickets, the lead also takes escalations.
HELPDESK_AGENTS = frozenset({"NATIONAL_HELPDESK_AGENT", "NATIONAL_HELPDESK_LEAD"})
HELPDESK_LEADS = frozenset({"NATIONAL_HELPDESK_LEAD"})
# A state's help desk contact: raises and follows her own state's tickets only.
HELPDESK_CONTACTS = frozenset({"STATE_HELPDESK_CONTACT"})
# State staff who may raise a ticket for their state (besides the contact).
TICKET_RAISERS = HELPDESK_CONTACTS | {"STATE_ADMIN", "STATE_PROGRAM_MANAGER"}
