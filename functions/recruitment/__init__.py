"""Recruitment: jobs and candidate matching."""
