"""The office's rules as plain functions: no Flask request objects, no commits."""
