"""The pure core of the SHG books: no I/O, no database, no clock.

Money is integer paise everywhere (``Paise`` is an ``int``); rates are hundredths of a percent per
month (200 = 2% per month). Every function here is deterministic, so the rulebook's worked meeting
(shared/TRANSACTIONS.md §8) and the property-based tests run against exactly the code the
service uses.

Modules:
- ``money``      paise, rupees, rounding;
- ``policy``     per-state / per-SHG settings for the rules marked [I] or uncertain;
- ``accounts``   the chart of accounts per CBO type;
- ``ledger``     balanced journal entries; balances with member / loan sub-ledgers;
- ``schedule``   loan schedules (declining EMI, equal principal, flat), meeting calendar;
- ``loans``      a loan's state: dues, overdue, days past due, and the allocation of a repayment;
- ``meeting``    a meeting's lines → journal, member dues, and the closing check;
- ``cutoff``     the cut-off sheet (opening balances from paper books) and its balancing.
"""
