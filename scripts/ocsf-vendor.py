#!/usr/bin/env python3
"""Compile OCSF event classes into one JSON Schema file, for tests/ocsf.rs.

The OCSF schema repository (github.com/ocsf/ocsf-schema, Apache-2.0) holds the schema as
metadata: a dictionary of attributes and types, objects and event classes that extend one
another and include profiles. No JSON Schema is published in the repository, so this script
resolves that metadata for the classes shellsweep writes and emits JSON Schema (2020-12):

- a class or object is its own attributes over those of what it `extends`, over those of the
  files it `$include`s (profiles: such attributes belong to the profile);
- an attribute's type, array-ness and enum come from the dictionary, with the class's enum
  added to the dictionary's (`activity_id`'s 0 and 99 plus the class's own);
- `required` attributes are required, except a profile's, which are required only when the
  event names the profile in `metadata.profiles`;
- no attribute outside the schema is allowed (`additionalProperties: false`), in classes and
  objects alike, except inside `unmapped` (and other `object`/`json_t` attributes);
- `class_uid`, `category_uid` are constants and `type_uid` is `class_uid * 100 + activity_id`
  for the class's activities;
- `at_least_one` and `just_one` constraints become `anyOf`/`oneOf` of `required`.

Usage: scripts/ocsf-vendor.py REPO REV OUT.json
(REPO a git directory of ocsf-schema, REV a release tag such as 1.8.0.)
"""

import json
import subprocess
import sys

CLASSES = ["detection_finding", "scan_activity", "http_activity"]


def main():
    repo, rev, out = sys.argv[1], sys.argv[2], sys.argv[3]

    def show(path):
        return json.loads(
            subprocess.run(
                ["git", "--git-dir", repo, "show", f"{rev}:{path}"],
                check=True,
                capture_output=True,
            ).stdout
        )

    files = subprocess.run(
        ["git", "--git-dir", repo, "ls-tree", "-r", "--name-only", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    commit = subprocess.run(
        ["git", "--git-dir", repo, "rev-parse", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dictionary = show("dictionary.json")
    dict_attrs = dictionary["attributes"]
    types = dictionary["types"]["attributes"]
    categories = show("categories.json")["attributes"]
    objects = {}
    events = {}
    for f in files:
        if f.startswith("objects/") and f.endswith(".json"):
            o = show(f)
            objects[o["name"]] = o
        elif f.startswith("events/") and f.endswith(".json"):
            e = show(f)
            events[e["name"]] = e

    def include(path):
        inc = show(path)
        attrs = {}
        profile = inc.get("name") if path.startswith("profiles/") else None
        for name, a in inc.get("attributes", {}).items():
            if name == "$include":
                continue
            a = dict(a)
            if profile:
                a.setdefault("profile", profile)
            attrs[name] = a
        return attrs

    def resolve(table, name):
        """The attributes of a class or object with what it extends and includes."""
        item = table[name]
        attrs = {}
        parent = item.get("extends")
        if parent:
            attrs = {k: dict(v) for k, v in resolve(table, parent)[0].items()}
        own = item.get("attributes", {})
        for path in own.get("$include", []):
            for k, v in include(path).items():
                attrs[k] = {**attrs.get(k, {}), **v}
        for k, v in own.items():
            if k == "$include":
                continue
            attrs[k] = {**attrs.get(k, {}), **v}
        constraints = dict(resolve(table, parent)[1]) if parent else {}
        constraints.update(item.get("constraints", {}))
        return attrs, constraints

    def scalar(type_name):
        """JSON Schema of a dictionary type (`string_t`, `port_t`, ...)."""
        t = types[type_name]
        base = t.get("type")
        s = scalar(base) if base else {}
        s = dict(s)
        if type_name in ("string_t",):
            s["type"] = "string"
        elif type_name in ("integer_t", "long_t"):
            s["type"] = "integer"
        elif type_name == "float_t":
            s["type"] = "number"
        elif type_name == "boolean_t":
            s["type"] = "boolean"
        elif type_name == "json_t":
            s = {}
        if "max_len" in t:
            s["maxLength"] = t["max_len"]
        if "range" in t:
            s["minimum"], s["maximum"] = t["range"]
        return s

    used_objects = set()

    def attribute(name, a):
        d = {**dict_attrs.get(name, {}), **a}
        # The class's enum adds to the dictionary's (0 Unknown, 99 Other).
        enum = {**dict_attrs.get(name, {}).get("enum", {}), **a.get("enum", {})}
        t = d.get("type")
        if t in types:
            s = scalar(t)
            if enum:
                keys = list(enum.keys())
                if s.get("type") == "integer":
                    s["enum"] = sorted(int(k) for k in keys)
                else:
                    s["enum"] = keys
        elif t == "object_t" or t == "object" or t is None:
            s = {"type": "object"}
        else:
            used_objects.add(t)
            s = {"$ref": f"#/$defs/object.{t}"}
        if d.get("is_array"):
            s = {"type": "array", "items": s}
        return s

    def schema_of(attrs, constraints, extra_required=()):
        props = {}
        required = list(extra_required)
        profile_required = {}
        for name, a in sorted(attrs.items()):
            props[name] = attribute(name, a)
            if a.get("requirement") == "required":
                if a.get("profile"):
                    profile_required.setdefault(a["profile"], []).append(name)
                else:
                    required.append(name)
        s = {
            "type": "object",
            "properties": props,
            "required": sorted(set(required)),
            "additionalProperties": False,
        }
        all_of = []
        for profile, names in sorted(profile_required.items()):
            all_of.append(
                {
                    "if": {
                        "required": ["metadata"],
                        "properties": {
                            "metadata": {
                                "required": ["profiles"],
                                "properties": {"profiles": {"contains": {"const": profile}}},
                            }
                        },
                    },
                    "then": {"required": names},
                }
            )
        if constraints.get("at_least_one"):
            all_of.append({"anyOf": [{"required": [n]} for n in constraints["at_least_one"]]})
        if constraints.get("just_one"):
            all_of.append({"oneOf": [{"required": [n]} for n in constraints["just_one"]]})
        if all_of:
            s["allOf"] = all_of
        return s

    defs = {}
    for cls in CLASSES:
        attrs, constraints = resolve(events, cls)
        ev = events[cls]
        category = ev.get("category")
        node = ev
        while category is None:
            node = events[node["extends"]]
            category = node.get("category")
        category_uid = categories[category]["uid"]
        class_uid = category_uid * 1000 + ev["uid"]
        s = schema_of(attrs, constraints)
        activity = {**dict_attrs["activity_id"].get("enum", {}), **attrs["activity_id"].get("enum", {})}
        s["properties"]["class_uid"] = {"const": class_uid}
        s["properties"]["category_uid"] = {"const": category_uid}
        s["properties"]["type_uid"] = {
            "enum": sorted(class_uid * 100 + int(k) for k in activity)
        }
        s["title"] = f"OCSF {ev['caption']} ({class_uid})"
        defs[f"class.{cls}"] = s
    done = set()
    while used_objects - done:
        name = sorted(used_objects - done)[0]
        done.add(name)
        attrs, constraints = resolve(objects, name)
        defs[f"object.{name}"] = schema_of(attrs, constraints)
    out_doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Compiled by scripts/ocsf-vendor.py from ocsf-schema {rev} ({commit})",
        "$defs": dict(sorted(defs.items())),
    }
    with open(out, "w") as f:
        json.dump(out_doc, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
