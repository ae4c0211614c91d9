"""De-duplication of members and CBOs: the identifier index built from profiles' events,
the state's rules as data, checks over gRPC and from events, the Block Program Manager's
decisions, and "Refresh Duplicate" for a block."""
