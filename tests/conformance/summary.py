"""The conformance suite's verdict, per scenario, from the checks it wrote.

usage: summary.py RESULTS_DIR SUMMARY_TSV EXPECTED

RESULTS_DIR holds one folder per scenario run, server-<scenario>-<time>/,
each with a checks.json: a list of checks with a `status` (SUCCESS, FAILURE,
WARNING or INFO). A scenario passes when none of its checks is a FAILURE
(warnings alone do not fail it). Prints a line per scenario and a total, writes
the same to SUMMARY_TSV, and exits 1 unless exactly EXPECTED scenarios ran and
all of them passed (a scenario that crashed before writing its checks is
missing, so it fails the count).
"""

import json
import os
import re
import sys

FOLDER = re.compile(r"^server-(.+)-\d{4}-\d\d-\d\dT")


def scenarios(results):
    """(scenario, checks) for each scenario folder with a checks.json."""
    for folder in sorted(os.listdir(results)):
        match = FOLDER.match(folder)
        path = os.path.join(results, folder, "checks.json")
        if not (match and os.path.isfile(path)):
            continue
        try:
            with open(path) as file:
                checks = json.load(file)
        except (OSError, ValueError) as error:
            checks = [{"id": "checks.json", "status": "FAILURE", "errorMessage": str(error)}]
        yield match.group(1), checks


def main():
    results, tsv, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    passed = failed = 0
    lines = ["scenario\tstatus\tsucceeded\tfailed\twarnings\tfirst failures"]
    for name, checks in scenarios(results):
        statuses = [check.get("status") for check in checks]
        failures = [check for check in checks if check.get("status") == "FAILURE"]
        status = "PASS" if not failures else "FAIL"
        passed += not failures
        failed += bool(failures)
        detail = "; ".join(
            f"{check.get('id', '?')}: {check.get('errorMessage', '')}" for check in failures
        )[:300]
        lines.append(
            f"{name}\t{status}\t{statuses.count('SUCCESS')}\t{len(failures)}"
            f"\t{statuses.count('WARNING')}\t{detail}"
        )
        print(
            f"{status}  {name:40s} {statuses.count('SUCCESS')} ok, {len(failures)} failed, "
            f"{statuses.count('WARNING')} warnings  {detail[:160]}"
        )
    with open(tsv, "w") as file:
        file.write("\n".join(lines) + "\n")
    print(f"conformance: {passed} passed, {failed} failed ({expected} expected to pass)")
    return 0 if passed == expected and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
