"""Masters: the fixed drop-down values (social category, relation, bank, rejection remark …)
with English and Hindi labels."""

from services.profiles.masters.data import MASTERS, Item, is_code, items, label, names

__all__ = ["MASTERS", "Item", "is_code", "items", "label", "names"]
