# etl: filled in by its issue
