#!/usr/bin/python3
"""validate-aws-json.py SERVICE OPERATION FILE: check that FILE, a request
for "aws SERVICE OPERATION --cli-input-json file://FILE", has the shape the
service's API model (from botocore) requires: member names, types, required
members, lengths and patterns as botocore checks them before sending.

Exit status 0 when it does, 1 (with the errors on standard error) when not,
2 on a usage error."""
import json
import sys

import botocore.session
import botocore.validate


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    service, operation, path = argv[1:]
    with open(path, encoding="utf-8") as f:
        params = json.load(f)
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    if report.has_errors():
        sys.stderr.write("%s: %s\n" % (path, report.generate_report()))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
