"""Partner Management: partner status, contracts, matches and metrics."""
