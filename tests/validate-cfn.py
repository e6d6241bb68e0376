#!/usr/bin/python3
"""validate-cfn.py SPEC TEMPLATE...: check CloudFormation templates (JSON)
against the CloudFormation resource specification SPEC (specification.json
of npm's @aws-cdk/cfnspec): the template's sections, each resource's type,
its property names, its required properties, the types of the values
(primitive, list, map, property type), and that Ref, Fn::GetAtt, Fn::Sub
and Condition name what the template declares.

Exit status 0 when every template passes, 1 (with the errors on standard
error, one a line: FILE: PATH: what) when not, 2 on a usage error."""
import json
import re
import sys

SECTIONS = {"AWSTemplateFormatVersion", "Description", "Metadata",
            "Parameters", "Mappings", "Conditions", "Transform",
            "Resources", "Outputs", "Rules"}
RESOURCE_KEYS = {"Type", "Properties", "Condition", "DependsOn",
                 "DeletionPolicy", "UpdateReplacePolicy", "Metadata",
                 "CreationPolicy", "UpdatePolicy"}
PSEUDO = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue",
          "AWS::Partition", "AWS::Region", "AWS::StackId",
          "AWS::StackName", "AWS::URLSuffix"}


class Checker:
    def __init__(self, spec, path, tmpl):
        self.spec, self.path, self.t = spec, path, tmpl
        self.errors = []
        self.params = set(tmpl.get("Parameters", {}))
        self.resources = tmpl.get("Resources", {})
        self.conditions = set(tmpl.get("Conditions", {}))

    def err(self, where, what):
        self.errors.append("%s: %s: %s" % (self.path, where, what))

    def intrinsic(self, where, v):
        """True when V is an intrinsic function (checked here, its
        result's type not known)."""
        if not (isinstance(v, dict) and len(v) == 1):
            return False
        (k, a), = v.items()
        if k == "Ref":
            if a not in self.params and a not in self.resources and a not in PSEUDO:
                self.err(where, "Ref to '%s', which is not declared" % a)
            return True
        if k == "Fn::GetAtt":
            if not (isinstance(a, list) and len(a) == 2):
                self.err(where, "Fn::GetAtt takes [resource, attribute]")
            elif a[0] not in self.resources:
                self.err(where, "Fn::GetAtt of '%s', which is not declared" % a[0])
            else:
                rt = self.spec["ResourceTypes"].get(self.resources[a[0]].get("Type"), {})
                if a[1] not in rt.get("Attributes", {}):
                    self.err(where, "'%s' has no attribute '%s'" % (a[0], a[1]))
            return True
        if k == "Fn::Sub":
            s = a if isinstance(a, str) else a[0]
            local = set(a[1]) if isinstance(a, list) and len(a) > 1 else set()
            for name in re.findall(r"\$\{([^!}][^}]*)\}", s):
                base = name.split(".")[0]
                if (name not in self.params and base not in self.resources
                        and name not in PSEUDO and name not in local):
                    self.err(where, "Fn::Sub of '${%s}', which is not declared" % name)
            return True
        if k in ("Fn::If",):
            if a[0] not in self.conditions:
                self.err(where, "Fn::If on '%s', which is not a condition" % a[0])
            return True
        if k.startswith("Fn::") or k == "Condition":
            return True
        return False

    def primitive(self, where, ptype, v):
        if self.intrinsic(where, v):
            return
        ok = {
            "String": lambda x: isinstance(x, str),
            "Integer": lambda x: isinstance(x, int) and not isinstance(x, bool)
            or isinstance(x, str) and re.fullmatch(r"-?\d+", x),
            "Long": lambda x: isinstance(x, int) and not isinstance(x, bool)
            or isinstance(x, str) and re.fullmatch(r"-?\d+", x),
            "Double": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
            or isinstance(x, str) and re.fullmatch(r"-?\d+(\.\d+)?", x),
            "Boolean": lambda x: isinstance(x, bool) or x in ("true", "false"),
            "Timestamp": lambda x: isinstance(x, str),
            "Json": lambda x: isinstance(x, (dict, str)),
        }.get(ptype, lambda x: True)
        if not ok(v):
            self.err(where, "%r is not a %s" % (v, ptype))

    def value(self, where, rtype, pspec, v):
        if "PrimitiveType" in pspec:
            return self.primitive(where, pspec["PrimitiveType"], v)
        if self.intrinsic(where, v):
            return
        t = pspec.get("Type")
        if t in ("List", "Map"):
            if t == "List" and not isinstance(v, list):
                return self.err(where, "not a list")
            if t == "Map" and not isinstance(v, dict):
                return self.err(where, "not a map")
            items = enumerate(v) if t == "List" else v.items()
            for i, item in items:
                w = "%s[%s]" % (where, i)
                if "PrimitiveItemType" in pspec:
                    self.primitive(w, pspec["PrimitiveItemType"], item)
                else:
                    self.props(w, rtype, pspec["ItemType"], item)
            return
        if t:
            self.props(where, rtype, t, v)

    def props(self, where, rtype, ptype, v):
        """V against property type PTYPE of resource type RTYPE."""
        if self.intrinsic(where, v):
            return
        name = "%s.%s" % (rtype, ptype)
        pt = self.spec["PropertyTypes"].get(name) or self.spec["PropertyTypes"].get(ptype)
        if pt is None:
            return self.err(where, "no property type %s in the specification" % name)
        if not isinstance(v, dict):
            return self.err(where, "not an object (%s)" % ptype)
        self.members(where, rtype, pt.get("Properties", {}), v)

    def members(self, where, rtype, spec_props, v):
        for k, item in v.items():
            if k not in spec_props:
                self.err(where, "unknown property '%s'" % k)
            else:
                self.value("%s.%s" % (where, k), rtype, spec_props[k], item)
        for k, p in sorted(spec_props.items()):
            if p.get("Required") and k not in v:
                self.err(where, "required property '%s' missing" % k)

    def run(self):
        t = self.t
        if not isinstance(t, dict):
            self.err("/", "not a JSON object")
            return self.errors
        for k in t:
            if k not in SECTIONS:
                self.err("/", "unknown section '%s'" % k)
        if not self.resources:
            self.err("/", "no Resources")
        for c, body in t.get("Conditions", {}).items():
            self.intrinsic("Conditions." + c, body)
        for name, r in self.resources.items():
            w = "Resources." + name
            for k in r:
                if k not in RESOURCE_KEYS:
                    self.err(w, "unknown attribute '%s'" % k)
            rtype = r.get("Type")
            if isinstance(rtype, str) and rtype.startswith("Custom::"):
                continue
            rs = self.spec["ResourceTypes"].get(rtype)
            if rs is None:
                self.err(w, "unknown resource type '%s'" % rtype)
                continue
            if "Condition" in r and r["Condition"] not in self.conditions:
                self.err(w, "condition '%s' is not declared" % r["Condition"])
            self.members(w + ".Properties", rtype, rs.get("Properties", {}),
                         r.get("Properties", {}))
        for name, o in t.get("Outputs", {}).items():
            if "Value" not in o:
                self.err("Outputs." + name, "no Value")
            else:
                self.intrinsic("Outputs." + name, o["Value"])
        return self.errors


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    status = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                tmpl = json.load(f)
        except (OSError, ValueError) as e:
            sys.stderr.write("%s: %s\n" % (path, e))
            status = 1
            continue
        errors = Checker(spec, path, tmpl).run()
        for e in errors:
            sys.stderr.write(e + "\n")
        if errors:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
