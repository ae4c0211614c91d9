"""Profiles: geography masters, SHG/VO/CLF and member profiles, maker-checker."""
