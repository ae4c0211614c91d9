"""The external report API for departments and banks: its own versioned prefix and OpenAPI."""
