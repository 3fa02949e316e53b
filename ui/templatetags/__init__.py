"""Template tags and filters for the Pharmacy Digital Portal."""
