# transform: filled in by its issue
