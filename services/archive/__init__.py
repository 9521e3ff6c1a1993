"""Paper archives: the files, the desk (lookups, copies, returns) and the register."""
