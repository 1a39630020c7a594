"""`make bench`: direct-to-upstream vs through-callgate, measured in one run."""
