# s3: filled in by its issue
