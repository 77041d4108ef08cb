#!/usr/bin/env python3
"""Adds or updates localized strings in a pair of resx files (zh-CN neutral + en).

usage: tools/add-strings.py CodeRunner.Web/Resources/Components/Layout/NavMenu KEY "中文" "English" [KEY "中文" "English" ...]

The neutral X.resx holds zh-CN (the default culture); X.en.resx holds English.
"""
import os
import sys
import xml.etree.ElementTree as ET

HEADER = """<?xml version="1.0" encoding="utf-8"?>
<root>
  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
  <resheader name="version"><value>2.0</value></resheader>
  <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
  <resheader name="writer"><value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
</root>
"""
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def upsert(path, pairs):
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(HEADER)
    tree = ET.parse(path)
    root = tree.getroot()
    existing = {d.get("name"): d for d in root.findall("data")}
    for key, text in pairs:
        node = existing.get(key)
        if node is None:
            node = ET.SubElement(root, "data", {"name": key})
            node.set(XML_SPACE, "preserve")
            ET.SubElement(node, "value")
        node.find("value").text = text
    ET.indent(tree, "  ")
    tree.write(path, encoding="utf-8", xml_declaration=True)


def main(argv):
    if len(argv) < 5 or (len(argv) - 2) % 3 != 0:
        print(__doc__)
        return 2
    base = argv[1].removesuffix(".resx")
    triples = [argv[i:i + 3] for i in range(2, len(argv), 3)]
    upsert(base + ".resx", [(k, zh) for k, zh, _ in triples])
    upsert(base + ".en.resx", [(k, en) for k, _, en in triples])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
