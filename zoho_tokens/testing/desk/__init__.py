"""The fake Zoho Desk API."""
