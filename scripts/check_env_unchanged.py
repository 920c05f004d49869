# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Fail if installing anomalib-pkdgan upgraded, downgraded or removed a package that was already installed.

    python scripts/check_env_unchanged.py BEFORE.txt AFTER.txt     # two `pip freeze` outputs

Packages that are new in AFTER (this package and dependencies the environment lacked) are listed, not errors.
"""

import re
import sys
from pathlib import Path


def versions(freeze: Path) -> dict[str, str]:
    """Map normalised package name -> version (or the direct-URL spec) from a ``pip freeze`` file."""
    out = {}
    for line in freeze.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, version = line.partition("==") if "==" in line else line.partition(" @ ")
        out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def main() -> int:
    before, after = (versions(Path(arg)) for arg in sys.argv[1:3])
    changed = {name: (old, after.get(name)) for name, old in before.items() if after.get(name) != old}
    added = sorted(set(after) - set(before))
    print(f"added by the install, besides anomalib-pkdgan: {', '.join(added) or 'nothing'}")
    if changed:
        for name, (old, new) in sorted(changed.items()):
            print(f"CHANGED {name}: {old} -> {new or 'removed'}", file=sys.stderr)
        return 1
    print(f"none of the {len(before)} packages already installed changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
