"""Administration: accounts, sign-in, passwords, reference lists, keys and backups."""
