"""The fake Zoho Accounts: its handlers, consent pages, codes and tokens, clients and users."""
