# aws: SigV4 signing, credentials, region and endpoint (issue 3)
