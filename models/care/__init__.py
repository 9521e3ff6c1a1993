"""Customer care: complaints and feedback."""
