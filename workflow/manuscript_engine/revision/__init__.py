"""Revision of a submitted manuscript: tracked changes against an earlier commit and the
response to reviewers."""
