"""The refresh storm: many processes meeting one expired token."""
